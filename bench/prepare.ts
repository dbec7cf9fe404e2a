// What a benchmark does to a running server before it is measured (not timed): one browser signs in
// once (the SSO session of the code-flow scenario), an access token for introspection and userinfo
// (renewed before each scenario: access tokens live 5 minutes), and a pool of refresh tokens from
// real code flows. Used by run.ts and data.ts.
import { authorizePath, browse, codeFlow, cookieHeader, pkcePair, type CookieJar } from './browser.js';
import { opaqueClient, webClient } from './common.js';
import type { Endpoints, Prepared } from './scenarios.js';

/** Runs `count` tasks, `width` at a time. */
async function inParallel<T>(count: number, width: number, task: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let started = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (started < count) {
      started++;
      out.push(await task());
    }
  }));
  return out;
}

/** `connections`: the refresh-token pool holds twice as many tokens, plus 100. */
export async function prepareServer(name: string, base: string, issuer: string, connections: number): Promise<Prepared> {
  let prepared: Prepared;
  const discovery = `${issuer}/.well-known/openid-configuration`;
  const doc = await (await fetch(discovery)).json() as Record<string, string>;
  const endpoints: Endpoints = {
    discovery, authorization: doc.authorization_endpoint!, token: doc.token_endpoint!,
    introspection: doc.introspection_endpoint!, userinfo: doc.userinfo_endpoint!, jwks: doc.jwks_uri!,
  };
  for (const [endpoint, url] of Object.entries(endpoints)) if (!url) throw new Error(`${name}: discovery has no ${endpoint} endpoint`);
  // How many requests a fresh browser needs from the authorization request to the code.
  const { requests: signInRequests } = await browse(base, new Map(), new URL(authorizePath(endpoints.authorization, webClient.id, pkcePair().challenge), base).href);
  // One browser signs in once; everything else happens in its SSO session.
  const jar: CookieJar = new Map();
  await codeFlow(base, jar, endpoints, webClient);
  const { access_token: accessToken } = await codeFlow(base, jar, endpoints, opaqueClient);
  const pool = 2 * connections + 100;
  const refreshTokens = (await inParallel(pool, 8, () => codeFlow(base, jar, endpoints, webClient))).map((t) => {
    if (!t.refresh_token) throw new Error(`${name}: the code flow returned no refresh token`);
    return t.refresh_token;
  });
  prepared = {
    base, endpoints, ssoCookie: cookieHeader(jar), accessToken, refreshTokens, signInRequests,
    renew: async () => { prepared.accessToken = (await codeFlow(base, jar, endpoints, opaqueClient)).access_token; },
  };
  return prepared;
}
