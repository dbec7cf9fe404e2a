// The account console's Devices and sessions, without JavaScript: each browser signed in to the
// account with its browser, system, address and times, this one marked; signing one out (or all
// others) is a logout: its refresh tokens answer invalid_grant and its clients get a logout token.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { accountPage, askedToSignIn, csrfOf, signedInBrowser, textOf } from '../helpers/account.js';
import { databases } from '../helpers/databases.js';
import { token } from '../helpers/flows.js';
import { password, testRealmWith } from '../helpers/realm.js';
import { freePort, startServer, type TestServer } from '../helpers/server.js';
import { authorizeUrl, callbackParams, tokenRequest, type UserAgent } from '../helpers/user-agent.js';

const firefoxOnWindows = { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0' };
const chromeOnMac = { 'user-agent': 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36' };
const safariOnIphone = { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1' };

const users = ['carol', 'dave', 'erin'].map((username) => ({ username, password, roles: ['viewer'] }));

/** A client application that records the logout tokens Strix POSTs to it. */
async function startBackchannelReceiver() {
  const port = await freePort();
  const logoutTokens: string[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      logoutTokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${port}`, logoutTokens, close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }) };
}

for (const database of databases) {
  describe(`account console: devices and sessions (${database})`, () => {
    let server: TestServer;
    let receiver: Awaited<ReturnType<typeof startBackchannelReceiver>>;
    before(async () => {
      receiver = await startBackchannelReceiver();
      server = await startServer(database, testRealmWith({
        users,
        clients: [{
          client_id: 'bc-app', client_secret: 'bc-app-secret', client_name: 'Notes', redirect_uris: [`${receiver.base}/callback`],
          grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post', scope: 'openid profile',
          backchannel_logout_uri: `${receiver.base}/backchannel`, backchannel_logout_session_required: true,
        }],
      }));
    });
    after(async () => {
      await server?.close();
      await receiver?.close();
    });

    const refresh = (refreshToken: string) => token(server, 'trusted', { grant_type: 'refresh_token', refresh_token: refreshToken });
    const sessionsOf = async (username: string) => {
      const user = (await server.services.store.users.findByUsername('demo', username))!;
      return server.services.store.sessions.listLive({ realm: 'demo', userId: user.id }, server.clock.now(), 0, 100);
    };
    /** The session's sign-in, by SSO, to the client that asked for back-channel logout. */
    async function signInToNotes(agent: UserAgent): Promise<string> {
      const page = await agent.open(authorizeUrl(server.issuer(), {
        client_id: 'bc-app', redirect_uri: `${receiver.base}/callback`, response_type: 'code', scope: 'openid', state: 's',
      }));
      const tokens = await tokenRequest(server.issuer(), {
        grant_type: 'authorization_code', code: callbackParams(page).get('code')!, redirect_uri: `${receiver.base}/callback`, client_id: 'bc-app', client_secret: 'bc-app-secret',
      });
      assert.equal(tokens.status, 200);
      return decodeJwt(tokens.body.id_token as string).sid as string;
    }
    const signOut = async (agent: UserAgent, form: Record<string, string>) => {
      const csrf = csrfOf(await accountPage(server, agent, 'sessions'));
      return agent.request(`${server.issuer()}/account/sessions/sign-out`, { form: { csrf, ...form } });
    };

    test('every session of the user is listed with its browser, system, address and applications, this device first and marked', async () => {
      const here = await signedInBrowser(server, 'carol', firefoxOnWindows);
      await signedInBrowser(server, 'carol', chromeOnMac);
      await signedInBrowser(server, 'dave', safariOnIphone);
      const page = await accountPage(server, here.agent, 'sessions');
      assert.equal(page.status, 200);
      const text = textOf(page);
      assert.match(text, /Firefox on Windows This device Address 127\.0\.0\.1 Signed in .+ Last active .+ Applications First-party app/);
      assert.match(text, /Chrome on macOS Address 127\.0\.0\.1/);
      assert.doesNotMatch(text, /Safari on iOS/, 'another user\'s session is not listed');
      assert.ok(text.indexOf('Firefox on Windows') < text.indexOf('Chrome on macOS'), 'this device comes first');
      assert.equal((page.html.match(/<button type="submit" class="btn btn-secondary">Sign out<\/button>/g) ?? []).length, 1, 'only the other session has its own Sign out');
      assert.match(text, /Sign out all other sessions/);
    });

    test('signing out another session ends its tokens and tells its clients; this session stays', async () => {
      const here = await signedInBrowser(server, 'dave', firefoxOnWindows);
      const there = await signedInBrowser(server, 'dave', chromeOnMac);
      const sid = await signInToNotes(there.agent);
      const answer = await signOut(here.agent, { session: sid });
      assert.equal(answer.status, 200);
      assert.match(textOf(answer), /That session is signed out/);
      assert.doesNotMatch(textOf(answer), /Chrome on macOS/);

      const refreshed = await refresh(there.tokens.refresh_token);
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.body.error, 'invalid_grant');
      assert.ok(askedToSignIn(server, await accountPage(server, there.agent)), 'that browser is signed out');
      assert.ok(receiver.logoutTokens.some((logoutToken) => decodeJwt(logoutToken).sid === sid), 'the client of that session got a logout token');
      assert.equal((await refresh(here.tokens.refresh_token)).status, 200, 'this session\'s tokens still work');
    });

    test('"Sign out all other sessions" ends every other session of the user, and only those', async () => {
      const here = await signedInBrowser(server, 'erin', firefoxOnWindows);
      const others = [await signedInBrowser(server, 'erin', chromeOnMac), await signedInBrowser(server, 'erin', safariOnIphone)];
      const stranger = await signedInBrowser(server, 'carol');
      const answer = await signOut(here.agent, { others: 'yes' });
      assert.match(textOf(answer), /Your other sessions are signed out/);
      assert.match(textOf(answer), /You are signed in on this device only\./);
      for (const other of others) assert.equal((await refresh(other.tokens.refresh_token)).body.error, 'invalid_grant');
      assert.equal((await sessionsOf('erin')).length, 1);
      assert.equal((await refresh(stranger.tokens.refresh_token)).status, 200, 'another user\'s session is untouched');
    });

    test('a session of another user, or this very one, cannot be signed out from here', async () => {
      const here = await signedInBrowser(server, 'carol', firefoxOnWindows);
      const stranger = await signedInBrowser(server, 'dave', chromeOnMac);
      const strangerSession = (await sessionsOf('dave')).find((session) => session.userAgent === chromeOnMac['user-agent'])!;
      const mine = (await sessionsOf('carol')).find((session) => session.userAgent === firefoxOnWindows['user-agent'])!;
      await signOut(here.agent, { session: strangerSession.id });
      await signOut(here.agent, { session: mine.id });
      assert.equal((await refresh(stranger.tokens.refresh_token)).status, 200);
      assert.equal((await accountPage(server, here.agent)).status, 200);
    });

    test('last seen follows use, written at most once a minute', async () => {
      const here = await signedInBrowser(server, 'carol');
      const sessionId = () => sessionsOf('carol').then((sessions) => sessions.find((session) => session.id === decodeJwt(here.tokens.id_token).sid)!);
      const started = (await sessionId()).lastSeenAt;
      server.clock.advance(30);
      await accountPage(server, here.agent);
      assert.equal((await sessionId()).lastSeenAt, started, 'not written again within the minute');
      server.clock.advance(60);
      const used = server.clock.now();
      await accountPage(server, here.agent);
      assert.ok((await sessionId()).lastSeenAt >= used, 'written once the minute is over');
    });
  });
}
