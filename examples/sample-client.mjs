// A minimal web application that signs its users in with Strix, using openid-client.
//
//   STRIX_IMPORT=examples/realm.json npm start      # in one terminal
//   node examples/sample-client.mjs                 # in another, then open http://localhost:3000
//
// Settings: ISSUER (http://localhost:8080/realms/demo), CLIENT_ID (web),
// CLIENT_SECRET (change-me), APP_URL (http://localhost:3000).
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import * as client from 'openid-client';

const issuer = new URL(process.env.ISSUER ?? 'http://localhost:8080/realms/demo');
const appUrl = new URL(process.env.APP_URL ?? 'http://localhost:3000');
const redirectUri = new URL('/callback', appUrl).href;

const config = await client.discovery(issuer, process.env.CLIENT_ID ?? 'web', undefined,
  client.ClientSecretBasic(process.env.CLIENT_SECRET ?? 'change-me'),
  issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined);

const pending = new Map();    // state → { verifier, nonce }: sign-ins in progress
const sessions = new Map();   // session cookie → { claims, idToken }

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (body) => `<!doctype html><meta charset="utf-8"><title>Sample app</title>
<body style="font-family: system-ui; max-width: 40rem; margin: 3rem auto">${body}</body>`;

async function handle(request, response) {
  const url = new URL(request.url, appUrl);
  const sid = /(?:^|; )sample_session=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1];
  const session = sid && sessions.get(sid);

  if (url.pathname === '/login') {
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    pending.set(state, { verifier, nonce });
    const target = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri, scope: 'openid profile email', state, nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
    });
    return response.writeHead(302, { location: target.href }).end();
  }

  if (url.pathname === '/callback') {
    const expected = pending.get(url.searchParams.get('state'));
    if (!expected) return response.writeHead(400).end(page('<p>Unknown or expired sign-in. <a href="/">Start again</a>.</p>'));
    pending.delete(url.searchParams.get('state'));
    const tokens = await client.authorizationCodeGrant(config, url, {
      pkceCodeVerifier: expected.verifier, expectedState: url.searchParams.get('state'), expectedNonce: expected.nonce,
    });
    const claims = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub);
    const newSid = randomBytes(16).toString('base64url');
    sessions.set(newSid, { claims, idToken: tokens.id_token });
    return response.writeHead(302, { location: '/', 'set-cookie': `sample_session=${newSid}; HttpOnly; SameSite=Lax; Path=/` }).end();
  }

  if (url.pathname === '/logout' && session) {
    sessions.delete(sid);
    const target = client.buildEndSessionUrl(config, { id_token_hint: session.idToken, post_logout_redirect_uri: new URL('/', appUrl).href });
    return response.writeHead(302, { location: target.href, 'set-cookie': 'sample_session=; Max-Age=0; Path=/' }).end();
  }

  const body = session
    ? `<h1>Hello, ${escape(session.claims.name ?? session.claims.preferred_username ?? session.claims.sub)}</h1>
       <p>Strix told this app who you are:</p><pre>${escape(JSON.stringify(session.claims, null, 2))}</pre>
       <p><a href="/logout">Sign out</a></p>`
    : '<h1>Sample app</h1><p>You are not signed in.</p><p><a href="/login">Sign in with Strix</a></p>';
  response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(body));
}

const server = http.createServer((request, response) => {
  handle(request, response).catch((error) => {
    response.writeHead(500, { 'content-type': 'text/html; charset=utf-8' }).end(page(`<p>Sign-in failed: ${escape(error.message)}</p>`));
  });
});
server.listen(Number(appUrl.port || 80), appUrl.hostname, () => console.log(`Sample app on ${appUrl.href}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
