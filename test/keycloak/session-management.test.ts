// OpenID Connect Session Management 1.0 at Keycloak's paths: check_session_iframe in discovery, the
// iframe and the third-party cookie probe framable only by the realm's client origins and running
// no inline script, the iframe's origin check, and session_state in authorization responses.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem } from '../helpers/flows.js';
import { testRealm } from '../helpers/realm.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { UserAgent } from '../helpers/user-agent.js';

for (const database of databases) {
  describe(`session management (${database})`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(database, testRealm()); });
    after(async () => { await server?.close(); });

    const protocol = () => `${server.issuer()}/protocol/openid-connect`;

    test('SM-01: discovery advertises the check_session_iframe at Keycloak\'s path', async () => {
      const metadata = await (await fetch(`${server.issuer()}/.well-known/openid-configuration`)).json() as Record<string, unknown>;
      assert.equal(metadata.check_session_iframe, `${protocol()}/login-status-iframe.html`);
    });

    for (const page of ['login-status-iframe.html', '3p-cookies/step1.html', '3p-cookies/step2.html']) {
      test(`${page} may be framed by the realm's client origins only, and loads its script from a file`, async () => {
        const response = await fetch(`${protocol()}/${page}`);
        assert.equal(response.status, 200);
        const policy = response.headers.get('content-security-policy') ?? '';
        const ancestors = /frame-ancestors ([^;]*)/.exec(policy)?.[1]?.split(' ') ?? [];
        assert.deepEqual(new Set(ancestors), new Set(['http://127.0.0.1:3999', 'http://127.0.0.1:5173', 'https://spa.example.com']));
        assert.match(policy, /script-src 'self'/);
        assert.doesNotMatch(policy, /unsafe-inline/);
        assert.equal(response.headers.get('x-frame-options'), null);
        const html = await response.text();
        const script = /<script src="([^"]+)"><\/script>/.exec(html)?.[1];
        assert.ok(script, html);
        assert.doesNotMatch(html.replace(/<script src="[^"]+"><\/script>/, ''), /<script/);
        const js = await fetch(script);
        assert.equal(js.status, 200);
        assert.match(js.headers.get('content-type') ?? '', /javascript/);
      });
    }

    test('the iframe answers only for an origin of the client it is asked about', async () => {
      const init = (clientId: string, origin: string) =>
        fetch(`${protocol()}/login-status-iframe.html/init?${new URLSearchParams({ client_id: clientId, origin })}`).then((r) => r.status);
      assert.equal(await init('spa', 'http://127.0.0.1:5173'), 204);
      assert.equal(await init('spa', 'https://spa.example.com'), 204);
      assert.equal(await init('spa', 'http://127.0.0.1:3999'), 403, "another client's origin");
      assert.equal(await init('spa', 'https://evil.example'), 403);
      assert.equal(await init('nope', 'http://127.0.0.1:5173'), 403);
    });

    test('SM-02: the authorization response carries session_state, the sid of the session, also in the session-state cookie', async () => {
      const browser = new UserAgent(server.url);
      const code = await codeFor(server, browser, { client: 'trusted', scope: 'openid' });
      const sessionState = code.callback.get('session_state');
      assert.ok(sessionState);
      const tokens = await redeem(server, 'trusted', code);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      const sid = decodeJwt(tokens.body.id_token).sid;
      assert.equal(sessionState, sid);
      assert.equal(browser.cookies.get('strix_session_state'), sid, 'the session-state cookie the iframe reads');
    });

    test('a session without the session-state cookie (started before Strix set one) gets it back at its next authorization', async () => {
      const browser = new UserAgent(server.url);
      const first = await codeFor(server, browser, { client: 'trusted', scope: 'openid' });
      browser.cookies.delete('strix_session_state');
      const again = await codeFor(server, browser, { client: 'trusted', scope: 'openid' });
      assert.equal(again.callback.get('session_state'), first.callback.get('session_state'), 'the same session, by SSO');
      assert.equal(browser.cookies.get('strix_session_state'), first.callback.get('session_state'));
    });
  });
}
