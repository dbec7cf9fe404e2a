// Real `strix start` processes: nodes (one worker each) for the multi-node and fault tests, spawned
// with their output kept and waited for until their realm's discovery document answers; and a bare
// `strix start` on a fresh SQLite file for the shutdown and workers tests.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, masterKey, testOutboundAllow } from './server.js';
import { strixCommand } from './command.js';

export interface Node { url: string; issuer: string; process: ChildProcess; output: string[] }

export function spawnNode(port: number, env: Record<string, string>, cwd: string): Node {
  const child = spawn(process.execPath, [strixCommand, 'start'], {
    cwd, env: { ...process.env, STRIX_OUTBOUND_ALLOW: testOutboundAllow, ...env, STRIX_PORT: String(port), STRIX_HOST: '127.0.0.1', STRIX_WORKERS: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  return { url, issuer: `${url}/realms/demo`, process: child, output };
}

export async function waitUntilReady(node: Node, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (node.process.exitCode !== null) throw new Error(`strix exited with ${node.process.exitCode}:\n${node.output.join('')}`);
    try {
      if ((await fetch(`${node.issuer}/.well-known/openid-configuration`)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`strix on ${node.url} was not ready within ${timeoutMs} ms:\n${node.output.join('')}`);
}

/**
 * Two nodes on the database at `databaseUrl` behind one public URL (node A's), as behind a load
 * balancer: A imports `realm` and is ready before B starts. A node that does not start is killed.
 */
export async function startTwoNodes(dir: string, databaseUrl: string, realm: unknown, readyTimeoutMs: number): Promise<[Node, Node]> {
  const realmFile = join(dir, 'realm.json');
  writeFileSync(realmFile, JSON.stringify(realm));
  const [portA, portB] = [await freePort(), await freePort()];
  const shared = {
    STRIX_DATABASE_URL: databaseUrl, STRIX_PUBLIC_URL: `http://127.0.0.1:${portA}`, STRIX_MASTER_KEY: masterKey,
    STRIX_ADMIN_PASSWORD: 'admin-password-for-tests', STRIX_LOG_LEVEL: 'warn',
  };
  const started: Node[] = [];
  try {
    for (const [port, env] of [[portA, { ...shared, STRIX_IMPORT: realmFile }], [portB, shared]] as const) {
      const node = spawnNode(port, env, dir);
      started.push(node);
      await waitUntilReady(node, readyTimeoutMs);
    }
    return [started[0]!, started[1]!];
  } catch (error) {
    for (const node of started) node.process.kill('SIGKILL');
    throw error;
  }
}

export interface Running { child: ChildProcess; port: number; output: () => string; exit: Promise<number | null> }

/**
 * `strix start ...args` in `dir` on a free port and a SQLite file of its own, with only PATH from the
 * suite's environment and `env` on top; resolves once it logs that it is ready.
 */
export async function startStrix(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [strixCommand, 'start', ...args], {
    cwd: dir,
    env: {
      PATH: process.env.PATH, STRIX_DATABASE_URL: `sqlite:${join(dir, `${port}.db`)}`, STRIX_PORT: String(port), STRIX_HOST: '127.0.0.1',
      STRIX_MASTER_KEY: 'strix-start-test-master-key-0123456789abcdef', STRIX_ADMIN_PASSWORD: 'admin-password-for-tests',
      ...env,
    },
  });
  let output = '';
  child.stdout!.on('data', (chunk) => { output += chunk; });
  child.stderr!.on('data', (chunk) => { output += chunk; });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  for (let i = 0; !output.includes('Strix is ready'); i++) {
    assert.ok(i < 300 && child.exitCode === null, `strix did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, port, output: () => output, exit };
}
