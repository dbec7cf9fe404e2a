// A minimal browser for protocol tests: keeps cookies, follows the sign-in and consent forms,
// and stops at the first redirect that leaves Strix (the client's redirect URI).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';

export interface Page { status: number; url: string; html: string; location?: string; headers?: Headers }

export class UserAgent {
  readonly cookies = new Map<string, string>();

  /** `headers` go with every request (a User-Agent, to look like a given browser). */
  constructor(private readonly base: string, private readonly headers: Record<string, string> = {}) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /expires=Thu, 01 Jan 1970/i.test(a) || /max-age=0/i.test(a.trim()));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request, no redirect following. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { accept: 'text/html', ...this.headers, ...init.headers };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader();
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.remember(response);
    const location = response.headers.get('location') ?? undefined;
    return { status: response.status, url, html: await response.text(), location: location && new URL(location, url).href, headers: response.headers };
  }

  /** Follows redirects while they stay on Strix; returns the page, or the outbound redirect. */
  async open(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    let page = await this.request(url, init);
    while (page.location && page.location.startsWith(this.base)) page = await this.request(page.location);
    return page;
  }

  async submit(page: Page, fields: Record<string, string>, button?: { name: string; value: string }): Promise<Page> {
    const form = parseForm(page.html);
    const values = { ...form.fields, ...fields, ...(button ? { [button.name]: button.value } : {}) };
    return this.open(new URL(form.action, page.url).href, { form: values });
  }

  /** Signs in on a login page (and answers consent if asked); returns the redirect to the client. */
  async signIn(page: Page, username: string, password: string, consent: 'allow' | 'deny' = 'allow'): Promise<Page> {
    let next = await this.submit(page, { username, password });
    if (isConsentPage(next)) next = await this.submit(next, {}, { name: 'decision', value: consent });
    return next;
  }
}

export function parseForm(html: string): { action: string; fields: Record<string, string> } {
  const action = html.match(/<form[^>]*action="([^"]*)"/)?.[1];
  if (action === undefined) throw new Error(`no form on page:\n${html.slice(0, 500)}`);
  const fields: Record<string, string> = {};
  for (const input of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = input[0].match(/name="([^"]*)"/)?.[1];
    const value = input[0].match(/value="([^"]*)"/)?.[1] ?? '';
    if (name) fields[name] = decodeEntities(value);
  }
  return { action: decodeEntities(action), fields };
}

function decodeEntities(value: string): string {
  return value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'");
}

export const isLoginPage = (page: Page) => page.status < 300 && /name="password"/.test(page.html);
export const isConsentPage = (page: Page) => page.status < 300 && /name="decision"/.test(page.html);

/** The S256 code_challenge of a PKCE code_verifier (RFC 7636 §4.2). */
export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/** A fresh PKCE code_verifier and its S256 code_challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: s256(verifier) };
}

export function authorizeUrl(issuer: string, params: Record<string, string>): string {
  const url = new URL(`${issuer}/protocol/openid-connect/auth`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return url.href;
}

export function callbackParams(page: Page): URLSearchParams {
  if (!page.location) throw new Error(`expected a redirect, got ${page.status}:\n${page.html.slice(0, 400)}`);
  const url = new URL(page.location);
  return url.hash ? new URLSearchParams(url.hash.slice(1)) : url.searchParams;
}

/** The parameters of a redirect's fragment, asserting nothing travelled in its query string. */
export function fragmentOf(page: Page): URLSearchParams {
  assert.ok(page.location, `expected a redirect, got ${page.status}: ${page.html.slice(0, 200)}`);
  const url = new URL(page.location);
  assert.equal(url.search, '', 'nothing may travel in the query string');
  return new URLSearchParams(url.hash.slice(1));
}

/** base64url of the left half of SHA-256: at_hash / c_hash for the SHA-256 algorithms (OIDC Core §3.3.2.11). */
export const halfHash = (value: string) => createHash('sha256').update(value).digest().subarray(0, 16).toString('base64url');

/** A form POST to a back-channel endpoint under `issuer` (`token`, `revoke`, `token/introspect`), with Basic client authentication when `auth` is given. */
export async function endpointRequest(
  issuer: string, endpoint: string, form: Record<string, string>, auth?: { id: string; secret: string },
): Promise<{ status: number; body: Record<string, any>; headers: Headers }> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (auth) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(auth.id)}:${encodeURIComponent(auth.secret)}`).toString('base64')}`;
  const response = await fetch(`${issuer}/protocol/openid-connect/${endpoint}`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) as Record<string, any> : {}, headers: response.headers };
}

export function tokenRequest(issuer: string, form: Record<string, string>, auth?: { id: string; secret: string }): ReturnType<typeof endpointRequest> {
  return endpointRequest(issuer, 'token', form, auth);
}
