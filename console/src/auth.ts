// Signs the administrator in: the authorization code flow with PKCE (RFC 7636, S256) against the
// console's realm as its public client `strix-admin-console`, tokens kept in this tab's sessionStorage,
// refreshed before they expire, and sign-out through the end_session_endpoint (that realm's session ends).
// The console's realm is the master realm at {STRIX_PUBLIC_URL}/admin/, and another realm at
// {STRIX_PUBLIC_URL}/admin/{realm}/console/ (Keycloak's path), for that realm's own administrators.
const realmConsole = /\/admin\/([^/]+)\/console\/$/.exec(location.pathname);
export const consoleRealm = realmConsole ? decodeURIComponent(realmConsole[1]!) : 'master';
const consolePath = realmConsole ? realmConsole[0] : '/admin/';
/** {STRIX_PUBLIC_URL}: the part of the address before the console's path. */
export const publicUrl = location.href.slice(0, location.href.indexOf(consolePath));
const issuer = `${publicUrl}/realms/${encodeURIComponent(consoleRealm)}`;
const redirectUri = `${publicUrl}${consolePath}`;
const clientId = 'strix-admin-console';
const tokensKey = `strix-console.tokens.${consoleRealm}`;
const pendingKey = `strix-console.pending.${consoleRealm}`;

interface Metadata { authorization_endpoint: string; token_endpoint: string; userinfo_endpoint?: string; end_session_endpoint?: string }
interface Tokens { access_token: string; refresh_token?: string; id_token?: string; expires_at: number }
interface Pending { state: string; verifier: string; nonce: string; hash: string }

export interface Administrator { username: string; name?: string }

export class SignInError extends Error {}

let metadata: Metadata | undefined;
let tokens: Tokens | undefined;
let refreshTimer: number | undefined;
let refreshing: Promise<void> | undefined;

async function discover(): Promise<Metadata> {
  if (metadata) return metadata;
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  if (!response.ok) throw new SignInError(`The ${consoleRealm} realm's discovery document answered ${response.status}.`);
  metadata = await response.json() as Metadata;
  return metadata;
}

const base64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomValue = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const s256 = async (verifier: string) => base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));

function claimsOf(idToken: string | undefined): Record<string, unknown> {
  const payload = idToken?.split('.')[1];
  if (!payload) return {};
  const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
}

function keep(answer: { access_token: string; refresh_token?: string; id_token?: string; expires_in?: number }): void {
  tokens = {
    access_token: answer.access_token,
    refresh_token: answer.refresh_token ?? tokens?.refresh_token,
    id_token: answer.id_token ?? tokens?.id_token,
    expires_at: Date.now() + (answer.expires_in ?? 300) * 1000,
  };
  sessionStorage.setItem(tokensKey, JSON.stringify(tokens));
  scheduleRefresh();
}

function scheduleRefresh(): void {
  window.clearTimeout(refreshTimer);
  if (!tokens?.refresh_token) return;
  // A minute ahead, or at half the lifetime of a short-lived token.
  const lifetime = tokens.expires_at - Date.now();
  const delay = Math.max(1000, Math.min(lifetime - 60_000, lifetime / 2));
  refreshTimer = window.setTimeout(() => { void refresh().catch(() => redirectToSignIn()); }, delay);
}

async function tokenRequest(form: Record<string, string>): Promise<void> {
  const { token_endpoint } = await discover();
  const response = await fetch(token_endpoint, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clientId, ...form }),
  });
  const answer = await response.json() as { access_token?: string; error?: string; error_description?: string };
  if (!response.ok || !answer.access_token) throw new SignInError(answer.error_description ?? answer.error ?? `the token endpoint answered ${response.status}`);
  keep(answer as Tokens & { access_token: string });
}

/** Uses the refresh token; concurrent callers share one request (a refresh token is single-use). */
export function refresh(): Promise<void> {
  const refreshToken = tokens?.refresh_token;
  if (!refreshToken) return Promise.reject(new SignInError('no refresh token'));
  refreshing ??= tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken }).finally(() => { refreshing = undefined; });
  return refreshing;
}

export async function redirectToSignIn(): Promise<never> {
  sessionStorage.removeItem(tokensKey);
  const { authorization_endpoint } = await discover();
  const pending: Pending = { state: randomValue(), verifier: randomValue(), nonce: randomValue(), hash: location.hash };
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid profile email',
    state: pending.state, nonce: pending.nonce, code_challenge: await s256(pending.verifier), code_challenge_method: 'S256',
  }).toString();
  location.assign(url.href);
  return new Promise<never>(() => {});
}

/** The authorization response at /admin/?code=…&state=…: checked against what this tab sent, then redeemed. */
async function completeSignIn(params: URLSearchParams): Promise<void> {
  const pending = JSON.parse(sessionStorage.getItem(pendingKey) ?? 'null') as Pending | null;
  sessionStorage.removeItem(pendingKey);
  history.replaceState(null, '', redirectUri + (pending?.hash ?? ''));
  if (!pending || params.get('state') !== pending.state) throw new SignInError('The sign-in answer does not belong to this tab. Sign in again.');
  const error = params.get('error');
  if (error) throw new SignInError(params.get('error_description') ?? error);
  await tokenRequest({ grant_type: 'authorization_code', code: params.get('code') ?? '', redirect_uri: redirectUri, code_verifier: pending.verifier });
  if (claimsOf(tokens?.id_token).nonce !== pending.nonce) throw new SignInError('The ID token does not carry this sign-in\'s nonce.');
}

/** Signed in at the end (or on the way to the sign-in page, which never resolves). */
export async function signIn(): Promise<Administrator> {
  const params = new URLSearchParams(location.search);
  // An authorization response this tab is not waiting for (a reloaded or forged callback) is dropped, never redeemed.
  if (params.has('state') && !sessionStorage.getItem(pendingKey)) history.replaceState(null, '', redirectUri + location.hash);
  if (params.has('state') && sessionStorage.getItem(pendingKey)) {
    await completeSignIn(params);
  } else {
    tokens = JSON.parse(sessionStorage.getItem(tokensKey) ?? 'null') as Tokens | null ?? undefined;
    if (!tokens) return redirectToSignIn();
    if (tokens.expires_at < Date.now() + 5000) await refresh().catch(() => redirectToSignIn());
    else scheduleRefresh();
  }
  const claims = { ...claimsOf(tokens?.id_token), ...await userinfo() };
  return { username: String(claims.preferred_username ?? claims.sub ?? 'admin'), name: typeof claims.name === 'string' ? claims.name : undefined };
}

/** The administrator's profile claims (the ID token may carry only `sub`); nothing if userinfo fails. */
async function userinfo(): Promise<Record<string, unknown>> {
  const { userinfo_endpoint } = await discover();
  if (!userinfo_endpoint) return {};
  const response = await fetch(userinfo_endpoint, { headers: { authorization: `Bearer ${accessToken()}` } }).catch(() => undefined);
  return response?.ok ? await response.json() as Record<string, unknown> : {};
}

export function accessToken(): string {
  return tokens?.access_token ?? '';
}

/** RP-initiated logout: the console realm's session ends, and the browser comes back here (to sign in again). */
export async function signOut(): Promise<void> {
  const idToken = tokens?.id_token;
  tokens = undefined;
  window.clearTimeout(refreshTimer);
  sessionStorage.removeItem(tokensKey);
  const { end_session_endpoint } = await discover();
  if (!end_session_endpoint) return void location.assign(redirectUri);
  const url = new URL(end_session_endpoint);
  url.search = new URLSearchParams({ client_id: clientId, post_logout_redirect_uri: redirectUri, ...(idToken ? { id_token_hint: idToken } : {}) }).toString();
  location.assign(url.href);
}
