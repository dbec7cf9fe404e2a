// What a browser does during sign-in, for both the setup (fetch) and the load (autocannon)
// paths: keep cookies, read a sign-in form, follow redirects that stay on the server.
import { createHash, randomBytes } from 'node:crypto';
import { basic, codeFlowScope, password, redirectUri, username } from './common.js';

export type CookieJar = Map<string, string>;

export function storeCookies(jar: CookieJar, setCookie: string | string[] | undefined): void {
  for (const header of typeof setCookie === 'string' ? [setCookie] : setCookie ?? []) {
    const [pair, ...attributes] = header.split(';');
    const eq = pair!.indexOf('=');
    const name = pair!.slice(0, eq).trim();
    const value = pair!.slice(eq + 1).trim();
    const expired = attributes.some((a) => /expires=Thu, 01 Jan 1970/i.test(a) || /max-age=0\b/i.test(a.trim()));
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

export const cookieHeader = (jar: CookieJar) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

function decodeEntities(value: string): string {
  return value.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#x27;/g, "'").replace(/&amp;/g, '&');
}

/** The sign-in form on a page: its action and hidden fields, or undefined. */
export function parseForm(html: string): { action: string; fields: Record<string, string> } | undefined {
  const form = html.match(/<form[^>]*>/)?.[0];
  if (!form || !/name="password"/.test(html)) return undefined;
  const action = form.match(/action="([^"]*)"/)?.[1];
  if (action === undefined) return undefined;
  const fields: Record<string, string> = {};
  for (const input of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = input[0].match(/name="([^"]*)"/)?.[1];
    const value = input[0].match(/value="([^"]*)"/)?.[1] ?? '';
    if (name) fields[name] = decodeEntities(value);
  }
  return { action: decodeEntities(action), fields };
}

/** The sign-in form filled in, as an urlencoded body. */
export function credentialsBody(fields: Record<string, string>): string {
  return new URLSearchParams({ ...fields, username, password }).toString();
}

/** Path and query of a URL on the server at `base` (absolute or relative); undefined if elsewhere. */
export function onServer(base: string, location: string, from = base): string | undefined {
  const url = new URL(location, from);
  if (url.origin !== new URL(base).origin) return undefined;
  return url.pathname + url.search;
}

/** The authorization code in a redirect to the client, or undefined. */
export function codeFrom(location: string | undefined): string | undefined {
  if (!location || !location.startsWith(redirectUri)) return undefined;
  return new URL(location).searchParams.get('code') ?? undefined;
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizePath(authorizationEndpoint: string, clientId: string, challenge: string): string {
  const url = new URL(authorizationEndpoint);
  const params = {
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope: codeFlowScope,
    state: randomBytes(9).toString('base64url'), nonce: randomBytes(9).toString('base64url'),
    code_challenge: challenge, code_challenge_method: 'S256',
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.pathname + url.search;
}

export function tokenBody(code: string, verifier: string): string {
  return new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }).toString();
}

/** fetch without following redirects, keeping cookies in `jar`. */
async function request(jar: CookieJar, url: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { accept: 'text/html', ...init.headers };
  if (jar.size > 0) headers.cookie = cookieHeader(jar);
  if (init.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' });
  storeCookies(jar, response.headers.getSetCookie());
  const location = response.headers.get('location');
  return { status: response.status, html: await response.text(), location: location === null ? undefined : new URL(location, url).href };
}

/**
 * Starts at `authorizeUrl` and plays the browser: follows redirects on the server, fills in the
 * sign-in form once, and returns the authorization code the server finally redirects to the client with.
 */
export async function browse(base: string, jar: CookieJar, authorizeUrl: string): Promise<{ code: string; requests: number }> {
  let page = await request(jar, authorizeUrl);
  let url = authorizeUrl;
  for (let requests = 1; requests < 10; requests++) {
    const code = codeFrom(page.location);
    if (code) return { code, requests };
    if (page.location && onServer(base, page.location)) {
      url = page.location;
      page = await request(jar, url);
      continue;
    }
    const form = page.status === 200 ? parseForm(page.html) : undefined;
    if (!form) break;
    url = new URL(form.action, url).href;
    page = await request(jar, url, { method: 'POST', body: credentialsBody(form.fields) });
  }
  throw new Error(`sign-in did not end with a code (status ${page.status}, location ${page.location}):\n${page.html.slice(0, 300)}`);
}

export interface Tokens { access_token: string; refresh_token?: string; id_token?: string }

/** One authorization code flow with PKCE in the browser `jar` (signing in if it has no session), redeemed at the token endpoint. */
export async function codeFlow(
  base: string, jar: CookieJar, endpoints: { authorization: string; token: string }, client: { id: string; secret: string },
): Promise<Tokens> {
  const { verifier, challenge } = pkcePair();
  const { code } = await browse(base, jar, new URL(authorizePath(endpoints.authorization, client.id, challenge), base).href);
  const response = await fetch(endpoints.token, {
    method: 'POST', body: tokenBody(code, verifier),
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(client) },
  });
  const body = await response.json() as Tokens & { error?: string };
  if (response.status !== 200 || !body.access_token) throw new Error(`token request failed: ${response.status} ${JSON.stringify(body)}`);
  return body;
}
