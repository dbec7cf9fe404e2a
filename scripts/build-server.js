// Bundles the server (dist/src/main.js and what it imports, packages included) into one file,
// dist/src/bundle/strix.js, which `npm start` and the `strix` command run. Start-up is mostly module
// loading: ~1,400 modules resolved and read one by one took ~700 ms, about half of `strix start`'s
// time to ready (docs/performance.md "Start-up"); one file takes a fraction of it.
// A package imported with import() (nodemailer, pg, ioredis, the passkey and QR code libraries, the
// common-password list) stays outside: Node loads it at first use, exactly as without the bundle.
// Native addons stay outside too. The bundle sits two levels under dist/ like every module of
// dist/src, so paths computed from import.meta.url (the admin console's dist/console) still hold.
// The tests run dist/src's modules in process, and this bundle wherever they start `strix`.
import { chmodSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const outdir = 'dist/src/bundle';
rmSync(outdir, { recursive: true, force: true });

/** Leaves to Node every package that Strix's own code imports with import(). */
const ownCode = fileURLToPath(new URL('../dist/src/', import.meta.url));
const dynamicImportsStayOutside = {
  name: 'dynamic-imports-stay-outside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      (args.kind === 'dynamic-import' && args.importer.startsWith(ownCode) ? { path: args.path, external: true } : undefined));
  },
};

await build({
  entryPoints: ['dist/src/main.js'], outfile: `${outdir}/strix.js`,
  bundle: true, format: 'esm', platform: 'node', target: 'node20',
  // Packages written as CommonJS call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as strixCreateRequire } from 'node:module'; const require = strixCreateRequire(import.meta.url);" },
  external: ['better-sqlite3', '@node-rs/argon2', 'pg-native'],
  plugins: [dynamicImportsStayOutside],
  // No comments or indentation (function and class names stay, for stack traces): the source text of
  // the bundle is kept in memory for as long as the process runs, and a single non-ASCII character
  // in a comment would make V8 keep all of it two bytes per character (8 MiB instead of 2.6).
  // Positions in the original modules: NODE_OPTIONS=--enable-source-maps reads strix.js.map.
  minifyWhitespace: true, sourcemap: 'linked', legalComments: 'linked',
  logLevel: 'warning',
});
chmodSync(`${outdir}/strix.js`, 0o755);   // the `strix` command (package.json "bin")
