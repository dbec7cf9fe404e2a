// Builds the admin console (console/src, Preact in TSX) into dist/console: one JS bundle and one
// stylesheet with content-hashed names (cached for good), and index.html naming them (never cached).
// `npm run build` runs it after tsc; src/admin/console.ts serves the result at /admin/.
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const out = 'dist/console';
const assets = join(out, 'assets');
rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: ['console/src/main.tsx'],
  bundle: true, minify: true, format: 'esm', target: 'es2022', platform: 'browser',
  jsx: 'automatic', jsxImportSource: 'preact',
  entryNames: 'console-[hash]', outdir: assets, metafile: true, legalComments: 'none', logLevel: 'warning',
});
const files = Object.keys(result.metafile.outputs).map((file) => basename(file));
const script = files.find((file) => file.endsWith('.js'));
const stylesheet = files.find((file) => file.endsWith('.css'));
if (!script || !stylesheet) throw new Error(`the console build made ${files.join(', ')}: a .js and a .css were expected`);

// Relative URLs: the page is served at {STRIX_PUBLIC_URL}/admin/, whatever path the public URL has.
writeFileSync(join(out, 'index.html'), `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Strix admin console</title>
<link rel="stylesheet" href="assets/${stylesheet}">
<script type="module" src="assets/${script}"></script>
</head>
<body>
<div id="console"><p class="booting">Loading the admin console…</p></div>
</body>
</html>
`);

const sizes = readdirSync(assets).map((file) => {
  const bytes = readFileSync(join(assets, file));
  return `${file} ${(statSync(join(assets, file)).size / 1024).toFixed(1)} KiB (${(gzipSync(bytes).length / 1024).toFixed(1)} KiB gzip)`;
});
if (process.env.STRIX_BUILD_QUIET !== 'true') console.log(`admin console: ${sizes.join(', ')}`);
