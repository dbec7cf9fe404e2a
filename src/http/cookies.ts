// Browser cookies of a realm: the SSO session and the CSRF double-submit token.
// HttpOnly, SameSite=Lax (sent on top-level navigations from clients, not on cross-site POSTs),
// Secure when Strix is served over https, scoped to the realm's path.
import '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomToken, safeEqual } from '../runtime.js';

export const sessionCookie = 'strix_session';
export const csrfCookie = 'strix_csrf';

export interface CookieScope { path: string; secure: boolean }

export function cookieScope(publicUrl: string, realm: string): CookieScope {
  return { path: `${new URL(publicUrl).pathname.replace(/\/$/, '')}/realms/${realm}/`, secure: publicUrl.startsWith('https:') };
}

function setCookie(reply: FastifyReply, scope: CookieScope, name: string, value: string): void {
  reply.setCookie(name, value, { path: scope.path, secure: scope.secure, httpOnly: true, sameSite: 'lax' });
}

export function setSessionCookie(reply: FastifyReply, scope: CookieScope, secret: string): void {
  setCookie(reply, scope, sessionCookie, secret);
}

export function clearSessionCookie(reply: FastifyReply, scope: CookieScope): void {
  reply.clearCookie(sessionCookie, { path: scope.path, secure: scope.secure, httpOnly: true, sameSite: 'lax' });
}

/** The CSRF token for forms rendered on this response; created once per browser. */
export function csrfToken(request: FastifyRequest, reply: FastifyReply, scope: CookieScope): string {
  const existing = request.cookies[csrfCookie];
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const token = randomToken();
  setCookie(reply, scope, csrfCookie, token);
  return token;
}

/** A form post is genuine only if it echoes the cookie the browser holds (double submit). */
export function csrfValid(request: FastifyRequest, submitted: string | undefined): boolean {
  const cookie = request.cookies[csrfCookie];
  return cookie !== undefined && submitted !== undefined && safeEqual(cookie, submitted);
}
