// Redirect URI rules of RFC 9700 §2.1 and §2.6 and RFC 8252 §7.3: exact matching, except the port
// of a native client's loopback IP redirect URI; plain http only on loopback hosts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseClient, RealmFileError } from '../../src/admin/realm-file.js';
import { databases } from '../helpers/databases.js';
import { password, testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, isLoginPage, pkcePair, tokenRequest, UserAgent, type Page } from '../helpers/user-agent.js';

const nativeApp = {
  client_id: 'cli', client_name: 'Command line', application_type: 'native', token_endpoint_auth_method: 'none',
  redirect_uris: ['http://127.0.0.1/callback', 'http://[::1]:8080/cb', 'http://localhost:9000/cb'], scope: 'openid',
};

describe('BCP-03: redirect URIs in realm files', () => {
  const client = (redirectUri: string) => ({ client_id: 'c', client_secret: 's', redirect_uris: [redirectUri] });

  test('BCP-03: plain http on a non-loopback host is refused, naming the URI', () => {
    for (const uri of ['http://rp.example/callback', 'http://10.0.0.5/callback', 'http://127.0.0.1.evil.example/cb']) {
      assert.throws(() => parseClient(client(uri), 'c'), (error: unknown) => error instanceof RealmFileError && error.message.includes(uri));
    }
  });

  test('BCP-03: https, loopback http (127.0.0.1, [::1], localhost) and private-use schemes are accepted', () => {
    for (const uri of ['https://rp.example/callback', 'http://127.0.0.1:3000/cb', 'http://[::1]:3000/cb', 'http://localhost:3000/cb', 'com.example.app:/oauth2redirect']) {
      assert.deepEqual(parseClient(client(uri), 'c').metadata.redirect_uris, [uri]);
    }
  });
});

for (const database of databases) {
  describe(`loopback redirect URIs of native clients (${database})`, () => {
    let server: TestServer;
    before(async () => {
      const realm = testRealm();
      realm.realms[0]!.clients.push(nativeApp as never);
      server = await startServer(database, realm);
    });
    after(async () => { await server?.close(); });

    const request = (clientId: string, redirectUri: string, challenge = pkcePair().challenge) => authorizeUrl(server.issuer(), {
      client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: 'st',
      code_challenge: challenge, code_challenge_method: 'S256',
    });
    const assertErrorPage = (page: Page) => {
      assert.equal(page.location, undefined, `redirected to ${page.location}`);
      assert.equal(page.status, 400);
    };

    test('BCP-02: a native client\'s loopback IP redirect URI matches with any port, and the code is redeemed with that URI', async () => {
      const redirectUri = 'http://127.0.0.1:51234/callback';
      const pair = pkcePair();
      const browser = new UserAgent(server.url);
      const login = await browser.open(request('cli', redirectUri, pair.challenge));
      assert.ok(isLoginPage(login), `${login.status} ${login.location ?? ''}`);
      const callback = await browser.signIn(login, 'alice', password);
      assert.ok(callback.location?.startsWith(`${redirectUri}?`), callback.location);
      const tokens = await tokenRequest(server.issuer(), {
        grant_type: 'authorization_code', code: callbackParams(callback).get('code')!, redirect_uri: redirectUri, code_verifier: pair.verifier, client_id: 'cli',
      });
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      assert.ok(isLoginPage(await new UserAgent(server.url).open(request('cli', 'http://[::1]:61000/cb'))), 'IPv6 loopback too');
    });

    test('BCP-02: apart from the port, a native client\'s loopback redirect URI must match exactly, and localhost keeps its port', async () => {
      for (const uri of [
        'http://127.0.0.1:5000/callback/extra', 'http://127.0.0.1:5000/callback?x=1', 'http://127.0.0.1:5000/Callback',
        'https://127.0.0.1:5000/callback', 'http://127.0.0.2:5000/callback', 'http://localhost:9001/cb', 'http://[::1]:8080/cb/',
      ]) {
        assertErrorPage(await new UserAgent(server.url).open(request('cli', uri)));
      }
    });

    test('BCP-02: a web client\'s loopback redirect URI keeps its registered port', async () => {
      assertErrorPage(await new UserAgent(server.url).open(request('spa', 'http://127.0.0.1:5174/callback')));
      assert.ok(isLoginPage(await new UserAgent(server.url).open(request('spa', 'http://127.0.0.1:5173/callback'))));
    });
  });
}
