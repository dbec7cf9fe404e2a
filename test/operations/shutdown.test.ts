// Graceful shutdown of `strix start` (docs/operations.md): SIGTERM drains in-flight requests and
// exits 0; a request still running at the 10 s deadline makes Strix give up and exit 1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStrix } from '../helpers/nodes.js';

/** A request whose body never finishes arriving: it stays in flight until the connection is cut. */
function stuckRequest(port: number): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write('POST /realms/master/protocol/openid-connect/token HTTP/1.1\r\nHost: 127.0.0.1\r\n'
        + 'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ngrant_type=');
      setTimeout(() => resolve(socket), 200);
    });
    socket.on('error', () => {});
  });
}

describe('graceful shutdown', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'strix-shutdown-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('SIGTERM with nothing in flight closes and exits with status 0', async () => {
    const strix = await startStrix(dir);
    assert.equal((await fetch(`http://127.0.0.1:${strix.port}/health/live`)).status, 200);
    strix.child.kill('SIGTERM');
    assert.equal(await strix.exit, 0, strix.output());
    assert.match(strix.output(), /shutting down/);
  });

  test('a request still in flight at the 10 s deadline makes Strix exit with status 1 and say why', { timeout: 30_000 }, async () => {
    const strix = await startStrix(dir);
    const socket = await stuckRequest(strix.port);
    const signalled = Date.now();
    strix.child.kill('SIGTERM');
    const code = await strix.exit;
    socket.destroy();
    assert.equal(code, 1, strix.output());
    assert.ok(Date.now() - signalled >= 9_000);
    assert.match(strix.output(), /did not finish before the shutdown deadline/);
  });
});
