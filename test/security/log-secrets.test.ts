// Nothing secret in logs (docs/security.md): at the most verbose level, a sign-in, every kind of
// client authentication, token issuance, refresh, introspection, logout and the token hook leave no
// password, secret, code, token, cookie value or key in what Strix logs.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { redactedUrl } from '../../src/ops/log-redaction.js';
import { databases } from '../helpers/databases.js';
import { codeFor, redeem, userinfo } from '../helpers/flows.js';
import { password, testRealm } from '../helpers/realm.js';
import { freePort, masterKey, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, tokenRequest, UserAgent } from '../helpers/user-agent.js';

const hookSecret = 'hook-secret-that-must-not-be-logged';
const wrongPassword = 'wrong-password-that-must-not-be-logged';

for (const database of databases) {
  describe(`log secrets (${database})`, () => {
    let server: TestServer;
    let hook: Server;
    const lines: string[] = [];
    before(async () => {
      hook = createServer((request, response) => {
        request.resume();
        request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end('{"claims":{"access_token":{"plan":"pro"}}}'));
      });
      const hookPort = await freePort();
      await new Promise<void>((resolve) => hook.listen(hookPort, '127.0.0.1', resolve));
      const file = testRealm();
      (file.realms[0] as Record<string, unknown>).token_hook = { url: `http://127.0.0.1:${hookPort}/`, secret: hookSecret, timeout_ms: 2000 };
      server = await startServer(database, file, { env: { STRIX_LOG_LEVEL: 'trace' }, logLines: lines });
    });
    after(async () => {
      await server?.close();
      hook?.closeAllConnections();
      await new Promise((resolve) => hook?.close(resolve));
    });

    test('a day of sign-ins, token requests, introspection and logout logs none of the secrets involved', async () => {
      const secrets: Record<string, string> = { password, wrongPassword, hookSecret, masterKey, 'web client secret': 'web-secret', 'trusted client secret': 'trusted-secret' };

      // A failed sign-in, then a good one (code flow, client_secret_basic).
      const browser = new UserAgent(server.url);
      const login = await browser.open(authorizeUrl(server.issuer(), {
        client_id: 'trusted', redirect_uri: 'http://127.0.0.1:3999/callback', response_type: 'code', scope: 'openid', state: 's',
      }));
      assert.match((await browser.signIn(login, 'alice', wrongPassword)).html, /name="password"/, 'a wrong password shows the login page again');
      const code = await codeFor(server, browser, { client: 'web', scope: 'openid profile offline_access' });
      secrets['authorization code'] = code.code;
      secrets['session cookie'] = browser.cookies.get('strix_session')!;
      assert.ok(secrets['session cookie'], 'the browser holds a session cookie');
      const tokens = await redeem(server, 'web', code);
      assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
      secrets['access token'] = tokens.body.access_token;
      secrets['ID token'] = tokens.body.id_token;
      secrets['refresh token'] = tokens.body.refresh_token;
      assert.equal((await userinfo(server, tokens.body.access_token)).status, 200);

      // A replayed code (logged as a warning), a wrong client secret, refresh with client_secret_basic.
      assert.equal((await redeem(server, 'web', code)).status, 400);
      assert.equal((await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: 'x' }, { id: 'web', secret: 'not-the-web-secret' })).status, 401);
      secrets['wrong client secret'] = 'not-the-web-secret';
      const second = await codeFor(server, new UserAgent(server.url), { client: 'web', scope: 'openid offline_access' });
      const secondTokens = await redeem(server, 'web', second);
      const refreshed = await tokenRequest(server.issuer(), { grant_type: 'refresh_token', refresh_token: secondTokens.body.refresh_token }, { id: 'web', secret: 'web-secret' });
      assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
      secrets['second refresh token'] = secondTokens.body.refresh_token;
      secrets['rotated refresh token'] = refreshed.body.refresh_token;
      secrets['refreshed access token'] = refreshed.body.access_token;

      // client_secret_post (the trusted client), then introspection of both kinds of token.
      const post = await codeFor(server, new UserAgent(server.url), { client: 'trusted', scope: 'openid offline_access' });
      const postTokens = await redeem(server, 'trusted', post);
      assert.equal(postTokens.status, 200, JSON.stringify(postTokens.body));
      secrets['client_secret_post code'] = post.code;
      secrets['client_secret_post refresh token'] = postTokens.body.refresh_token;
      for (const token of [tokens.body.access_token, postTokens.body.refresh_token]) {
        const response = await fetch(`${server.issuer()}/protocol/openid-connect/token/introspect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token, client_id: 'trusted', client_secret: 'trusted-secret' }).toString(),
        });
        assert.equal(response.status, 200);
      }

      // RP-initiated logout carries the ID token in the query string.
      const logout = new URL(`${server.issuer()}/protocol/openid-connect/logout`);
      logout.searchParams.set('id_token_hint', tokens.body.id_token);
      logout.searchParams.set('post_logout_redirect_uri', 'http://127.0.0.1:3999/');
      await browser.request(logout.href);

      const log = lines.join('');
      assert.ok(lines.length > 20, `expected request logs at trace level, got ${lines.length} lines`);
      assert.match(log, /tokens issued/, 'token issuance is logged');
      assert.match(log, /logout\?id_token_hint=\[redacted\]&post_logout_redirect_uri=/, 'the logout request is logged, its ID token masked');
      const leaked = Object.entries(secrets).filter(([, value]) => value && log.includes(value)).map(([name]) => name);
      assert.deepEqual(leaked, [], `secrets found in the logs: ${leaked.join(', ')}`);
    });
  });
}

describe('logged request URLs', () => {
  test('secret-bearing query parameters are masked, others kept', () => {
    assert.equal(redactedUrl('/realms/demo/auth?client_id=web&code=abc&state=s'), '/realms/demo/auth?client_id=web&code=[redacted]&state=s');
    assert.equal(redactedUrl('/x?access%5Ftoken=t&id_token_hint=h&scope=openid'), '/x?access%5Ftoken=[redacted]&id_token_hint=[redacted]&scope=openid');
    assert.equal(redactedUrl('/realms/demo/login-actions/email-link?token=t&interaction=i&csrf=c'), '/realms/demo/login-actions/email-link?token=[redacted]&interaction=i&csrf=[redacted]');
    assert.equal(redactedUrl('/x?%E0%A4%A=1'), '/x?%E0%A4%A=[redacted]');
    assert.equal(redactedUrl('/realms/demo/.well-known/openid-configuration'), '/realms/demo/.well-known/openid-configuration');
  });
});
