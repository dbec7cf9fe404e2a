// Browser cookies of a realm: the SSO session and the CSRF double-submit cookie, whose form
// tokens are HMACs bound to the session or parked interaction they act for.
// HttpOnly, SameSite=Lax (sent on top-level navigations from clients, not on cross-site POSTs),
// Secure when Strix is served over https, scoped to the realm's path.
import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomToken, safeEqual } from '../runtime.js';

export const sessionCookie = 'strix_session';
/**
 * The session's public id (its `sid`), readable by script: the check_session_iframe
 * (oauth/session-management.ts) compares it with the `sid` a client holds. Not a credential.
 */
export const sessionStateCookie = 'strix_session_state';
export const csrfCookie = 'strix_csrf';

export interface CookieScope { path: string; secure: boolean }

export function cookieScope(publicUrl: string, realm: string): CookieScope {
  return { path: `${new URL(publicUrl).pathname.replace(/\/$/, '')}/realms/${realm}/`, secure: publicUrl.startsWith('https:') };
}

function setCookie(reply: FastifyReply, scope: CookieScope, name: string, value: string): void {
  reply.setCookie(name, value, { path: scope.path, secure: scope.secure, httpOnly: true, sameSite: 'lax' });
}

/** A short-lived cookie of the realm's path (e.g. what the browser brings back from an upstream provider). */
export function setRealmCookie(reply: FastifyReply, scope: CookieScope, name: string, value: string, maxAgeSeconds: number): void {
  reply.setCookie(name, value, { path: scope.path, secure: scope.secure, httpOnly: true, sameSite: 'lax', maxAge: maxAgeSeconds });
}

/**
 * The value a sealed realm cookie holds (JSON sealed with the master key, a `kind` naming what it
 * is), if it is one of this kind; a cookie that does not open — forged, or sealed under a master key
 * since replaced — holds nothing.
 */
export function openSealedCookie<T extends { kind: string }>(sealer: { open(sealed: string): string }, cookie: string | undefined, kind: T['kind']): T | undefined {
  if (!cookie) return undefined;
  try {
    const value = JSON.parse(sealer.open(cookie)) as T;
    return value.kind === kind ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Clears a realm cookie, set with setRealmCookie or (crossSite) setCrossSiteRealmCookie. */
export function clearRealmCookie(reply: FastifyReply, scope: CookieScope, name: string, crossSite = false): void {
  reply.clearCookie(name, crossSite ? { path: scope.path, secure: true, httpOnly: true, sameSite: 'none' } : { path: scope.path, secure: scope.secure, httpOnly: true, sameSite: 'lax' });
}

/**
 * A short-lived realm cookie that a cross-site form POST brings back (a provider's form_post answer):
 * SameSite=None, which browsers take only with Secure — so it needs https, or a localhost address.
 */
export function setCrossSiteRealmCookie(reply: FastifyReply, scope: CookieScope, name: string, value: string, maxAgeSeconds: number): void {
  reply.setCookie(name, value, { path: scope.path, secure: true, httpOnly: true, sameSite: 'none', maxAge: maxAgeSeconds });
}

export function setSessionCookie(reply: FastifyReply, scope: CookieScope, secret: string): void {
  setCookie(reply, scope, sessionCookie, secret);
}

export function clearSessionCookie(reply: FastifyReply, scope: CookieScope): void {
  reply.clearCookie(sessionCookie, { path: scope.path, secure: scope.secure, httpOnly: true, sameSite: 'lax' });
  reply.clearCookie(sessionStateCookie, { path: scope.path, secure: scope.secure, httpOnly: false, sameSite: 'lax' });
}

export function setSessionStateCookie(reply: FastifyReply, scope: CookieScope, sessionId: string): void {
  reply.setCookie(sessionStateCookie, sessionId, { path: scope.path, secure: scope.secure, httpOnly: false, sameSite: 'lax' });
}

/**
 * What a form's CSRF token is bound to: the SSO session whose account it changes, the parked
 * interaction it continues, or (for the few forms that have neither) only the browser.
 */
export type CsrfBinding = { session: string } | { interaction: string } | 'browser';

/** The CSRF cookie's name: `__Host-` over https, so that no sibling subdomain can plant one. */
const csrfCookieName = (scope: CookieScope): string => (scope.secure ? `__Host-${csrfCookie}` : csrfCookie);

/** What the CSRF functions need of the services: the public URL (cookie scope and name) and the HMAC key. */
interface CsrfKeys { config: { publicUrl: string }; sealer: { digest(text: string): string } }

const bindingText = (binding: CsrfBinding): string =>
  binding === 'browser' ? 'browser' : 'session' in binding ? `session:${binding.session}` : `interaction:${binding.interaction}`;

/**
 * The form token is an HMAC of the browser's random cookie and the binding: a value planted in the
 * cookie (the classic double-submit bypass) is not a valid token, and a token copied from one
 * session's or interaction's form is refused on another's.
 */
const tokenFor = (keys: CsrfKeys, cookie: string, binding: CsrfBinding): string =>
  keys.sealer.digest(`csrf\0${cookie}\0${bindingText(binding)}`);

const wellFormed = (value: string | undefined): value is string => value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);

/** The CSRF token for forms rendered on this response; the cookie behind it is created once per browser. */
export function csrfToken(s: CsrfKeys, request: FastifyRequest, reply: FastifyReply, realm: string, binding: CsrfBinding): string {
  const scope = cookieScope(s.config.publicUrl, realm);
  const name = csrfCookieName(scope);
  let cookie = request.cookies[name];
  if (!wellFormed(cookie)) {
    cookie = randomToken();
    // A __Host- cookie must be Secure, have Path=/ and no Domain (RFC 6265bis §4.1.3.2).
    setCookie(reply, scope.secure ? { path: '/', secure: true } : scope, name, cookie);
    // Every other token of this response (a page may carry several forms and links) derives from the same cookie.
    request.cookies[name] = cookie;
  }
  return tokenFor(s, cookie, binding);
}

/** A form post is genuine only if it carries the token derived from the browser's cookie for this binding. */
export function csrfValid(s: CsrfKeys, request: FastifyRequest, realm: string, submitted: string | undefined, binding: CsrfBinding): boolean {
  const cookie = request.cookies[csrfCookieName(cookieScope(s.config.publicUrl, realm))];
  return wellFormed(cookie) && submitted !== undefined && safeEqual(tokenFor(s, cookie, binding), submitted);
}
