// The browser's SSO session in a realm (one per browser, shared by all the realm's clients).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clearSessionCookie, cookieScope, sessionCookie, sessionStateCookie, setSessionCookie, setSessionStateCookie } from '../http/cookies.js';
import type { Needs } from '../services.js';
import { satisfies, upgradeSession, userRequiredAcr, type MfaDeps } from './mfa.js';
import type { Realm } from '../store/realms.js';
import type { Session } from '../store/sessions.js';
import type { User } from '../store/users.js';

/** What this module uses (services.ts `Needs`). */
export type SsoDeps = Needs<'clock' | 'config', 'grants' | 'sessions' | 'users'> & MfaDeps;

export interface ActiveSession { session: Session; user: User }

const lastSeenPrecisionMs = 60_000;

/**
 * A session whose user still owes a second factor (the password step of a user who has one, or
 * whom the realm requires to use one) is pending: it may only go on to the second-factor page.
 */
export async function isPending(s: SsoDeps, realm: Realm, active: ActiveSession): Promise<boolean> {
  return !satisfies(active.session, await userRequiredAcr(s, realm, active.user));
}

export async function currentSession(s: SsoDeps, request: FastifyRequest, realm: Realm): Promise<ActiveSession | undefined> {
  const secret = request.cookies[sessionCookie];
  if (!secret) return undefined;
  const now = s.clock.now();
  const session = await s.store.sessions.findActive(realm.name, secret, now, realm.settings.sso_session_idle_lifetime * 1000);
  if (!session) return undefined;
  const user = await s.store.users.findById(session.userId);
  if (!user || !user.enabled) return undefined;
  // Last seen, for the account console's Devices and sessions (and the idle timeout): one write a minute at most.
  if (session.lastSeenAt === undefined || now - session.lastSeenAt >= lastSeenPrecisionMs) {
    await s.store.sessions.touch(session.id, now, request.ip);
    session.lastSeenAt = now;
  }
  return { session, user };
}

/** Starts a new SSO session for a user who just authenticated, replacing any previous one. */
export async function startSession(
  s: SsoDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, user: User, amr: string[], acr: string, upstream?: { idp: string; idpSid?: string; idpIdToken?: string },
): Promise<Session> {
  const now = s.clock.now();
  const previous = await currentSession(s, request, realm);
  if (previous) await endSession(s, previous.session.id);
  const { session, secret } = await s.store.sessions.create({
    realm: realm.name, userId: user.id, authTime: now, amr, acr, expiresAt: now + realm.settings.sso_session_max_lifetime * 1000, ...upstream,
    userAgent: request.headers['user-agent'], ipAddress: request.ip,
  }, now);
  const scope = cookieScope(s.config.publicUrl, realm.name);
  setSessionCookie(reply, scope, secret);
  setSessionStateCookie(reply, scope, session.id);
  return session;
}

/**
 * Puts the session-state cookie back when a session is used without it (a session started before
 * Strix set one): otherwise the session iframe would call the session changed after every sign-in
 * by SSO, and keycloak-js with login-required would go round that loop.
 */
export function keepSessionState(s: SsoDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, session: Session): void {
  if (request.cookies[sessionStateCookie] !== session.id) setSessionStateCookie(reply, cookieScope(s.config.publicUrl, realm.name), session.id);
}

/**
 * Records a further factor on the session (step-up). When its acr rises, the cookie secret is
 * replaced: a secret seen or planted before the step-up does not carry the stronger session.
 */
export async function stepUp(s: SsoDeps, reply: FastifyReply, realm: Realm, session: Session, added: string[]): Promise<Session> {
  const upgraded = await upgradeSession(s, session, added);
  if (upgraded.acr !== session.acr) setSessionCookie(reply, cookieScope(s.config.publicUrl, realm.name), await s.store.sessions.rotateSecret(session.id));
  return upgraded;
}

/** The user proved it is them again (re-authentication): the session's auth_time is now, and its cookie secret is replaced. */
export async function reauthenticated(s: SsoDeps, reply: FastifyReply, realm: Realm, session: Session): Promise<void> {
  setSessionCookie(reply, cookieScope(s.config.publicUrl, realm.name), await s.store.sessions.reauthenticated(session.id, s.clock.now()));
}

/** Logout: the session ends, and every grant bound to it (all but offline ones) is revoked. */
export async function endSession(s: Needs<'clock', 'grants' | 'sessions'>, sessionId: string): Promise<void> {
  const now = s.clock.now();
  await s.store.sessions.end(sessionId, now);
  await s.store.grants.revokeForSession(sessionId, now);
}

export function forgetSession(s: SsoDeps, reply: FastifyReply, realm: Realm): void {
  clearSessionCookie(reply, cookieScope(s.config.publicUrl, realm.name));
}
