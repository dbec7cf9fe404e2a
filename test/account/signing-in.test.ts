// The account console's Signing in lists each passkey by the browser and system it was registered
// from, with when it was added and last used.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { accountPage, signedInBrowser, textOf } from '../helpers/account.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('account console: signing in', () => {
  let server: TestServer;
  before(async () => { server = await startServer('sqlite', testRealmWith({ users: [{ username: 'carol', password }] })); });
  after(async () => { await server?.close(); });

  test('each passkey is named, with when it was added and last used (in the user\'s time zone)', async () => {
    const { agent, tokens } = await signedInBrowser(server, 'carol');
    // As if the sign-in had used a passkey: a user with one owes a second factor.
    await server.services.store.sessions.upgrade(decodeJwt(tokens.id_token).sid as string, ['pwd', 'hwk'], '2');
    const carol = (await server.services.store.users.findByUsername('demo', 'carol'))!;
    await server.services.store.users.updateProfile(carol.id, null, { zoneinfo: 'Europe/Paris' }, server.clock.now());
    const added = Date.UTC(2026, 0, 5, 9, 30);
    await server.services.store.mfa.addWebauthnCredential({
      id: 'used-key', userId: carol.id, publicKey: 'AQID', counter: 0, transports: ['internal'], deviceType: 'multiDevice', name: 'Safari on iOS',
    }, added);
    await server.services.store.mfa.useWebauthnCredential('used-key', 1, Date.UTC(2026, 1, 10, 18, 0));
    await server.services.store.mfa.addWebauthnCredential({
      id: 'new-key', userId: carol.id, publicKey: 'AQID', counter: 0, transports: ['usb'], deviceType: 'singleDevice', name: 'Firefox on Windows',
    }, added);
    const text = textOf(await accountPage(server, agent, 'mfa'));
    assert.match(text, /Safari on iOS Added Jan 5, 2026, 10:30 AM GMT\+1 · last used Feb 10, 2026, 07:00 PM GMT\+1/);
    assert.match(text, /Firefox on Windows Added Jan 5, 2026, 10:30 AM GMT\+1 · never used/);
  });
});
