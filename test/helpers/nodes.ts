// Real `strix start` processes (one worker each) for the multi-node and fault tests: spawned with
// their output kept, and waited for until their realm's discovery document answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testOutboundAllow } from './server.js';

const main = fileURLToPath(new URL('../../src/main.js', import.meta.url));

export interface Node { url: string; issuer: string; process: ChildProcess; output: string[] }

export function spawnNode(port: number, env: Record<string, string>, cwd: string): Node {
  const child = spawn(process.execPath, [main, 'start'], {
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
