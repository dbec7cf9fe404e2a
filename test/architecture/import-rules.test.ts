// `npm run lint` runs dependency-cruiser with .dependency-cruiser.cjs: these tests give it a small
// source tree that breaks each rule and check that it fails, naming the rule (and passes a clean one).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Runs the project's import rules over a tree of `files` (path → source); returns the exit status and output. */
function cruise(files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'strix-imports-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', strict: true } }));
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    const result = spawnSync(process.execPath, [join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), 'src', '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd: dir, encoding: 'utf8' });
    return { status: result.status, output: result.stdout + result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const leaf = 'export const value = 1;\n';

test('a tree that keeps the rules passes', () => {
  const result = cruise({
    'src/oauth/token.ts': "import { value } from '../tokens/mint.js';\nexport const token = value;\n",
    'src/ui/page.ts': "import { value } from '../tokens/mint.js';\nimport { token } from '../oauth/endpoints.js';\nexport const page = value + token;\n",
    'src/oauth/endpoints.ts': 'export const token = 1;\n',
    'src/tokens/mint.ts': "import { row } from '../store/rows.js';\nexport const value = row;\n",
    'src/store/rows.ts': 'export const row = 1;\n',
  });
  assert.equal(result.status, 0, result.output);
});

test('an import cycle fails lint (no-circular), type-only imports included', () => {
  const result = cruise({
    'src/tokens/a.ts': "import type { B } from './b.js';\nexport type A = { b?: B };\n",
    'src/tokens/b.ts': "import type { A } from './a.js';\nexport type B = { a?: A };\n",
  });
  assert.notEqual(result.status, 0);
  assert.match(result.output, /no-circular/);
});

test('protocol code importing a page module fails lint (oauth-not-to-ui)', () => {
  const result = cruise({ 'src/oauth/authorize.ts': "import { value } from '../ui/pages.js';\nexport const x = value;\n", 'src/ui/pages.ts': leaf });
  assert.notEqual(result.status, 0);
  assert.match(result.output, /oauth-not-to-ui/);
});

test('a page module importing protocol route code fails lint (ui-not-to-oauth)', () => {
  const result = cruise({ 'src/ui/login.ts': "import { value } from '../oauth/authorize.js';\nexport const x = value;\n", 'src/oauth/authorize.ts': leaf });
  assert.notEqual(result.status, 0);
  assert.match(result.output, /ui-not-to-oauth/);
});

test('a repository importing a domain module, even for a type, fails lint (store-imports-only-store)', () => {
  const result = cruise({ 'src/store/clients.ts': "import type { Mapper } from '../tokens/mappers.js';\nexport type Row = { m?: Mapper };\n", 'src/tokens/mappers.ts': 'export type Mapper = { claim: string };\n' });
  assert.notEqual(result.status, 0);
  assert.match(result.output, /store-imports-only-store/);
});

test('a domain module importing a route module fails lint (domain-not-to-routes)', () => {
  const result = cruise({ 'src/identity/mfa.ts': "import { value } from '../oauth/authorize.js';\nexport const x = value;\n", 'src/oauth/authorize.ts': leaf });
  assert.notEqual(result.status, 0);
  assert.match(result.output, /domain-not-to-routes/);
});
