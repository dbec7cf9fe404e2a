// Telling the clients of an ended session: OIDC Back-Channel Logout 1.0 (a logout token POSTed to
// each backchannel_logout_uri, retried) and Front-Channel Logout 1.0 (URIs for the sign-out page's iframes).
import { issuerOf, type Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import type { Session } from '../store/sessions.js';
import { signLogoutToken } from '../tokens/issue.js';
import { subjectFor, type SubjectDeps } from '../tokens/subject.js';
import { endSession } from './sso.js';

/** What this module uses (services.ts `Needs`). */
export type LogoutNotificationsDeps = Needs<'clock' | 'config' | 'keystore' | 'log' | 'outbound', 'clients'> & SubjectDeps;

const requestTimeoutMs = 5_000;
/** The answer's body means nothing to Strix; a client that sends more than this has not logged out properly. */
const maxAnswerBytes = 64 * 1024;
/** Delays before the second and third attempts; a client that is down for longer misses the logout. */
export const retryDelaysMs = [2_000, 10_000];

async function clientsOf(s: LogoutNotificationsDeps, realm: Realm, clientIds: string[]): Promise<Client[]> {
  const clients = await Promise.all(clientIds.map((id) => s.store.clients.get(realm.name, id)));
  return clients.filter((c): c is Client => c !== undefined && c.enabled);
}

async function post(s: Needs<'outbound'>, uri: string, logoutToken: string): Promise<boolean> {
  try {
    const response = await s.outbound.request(uri, {
      purpose: 'backchannel_logout_uri',
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: logoutToken }).toString(),
      timeoutMs: requestTimeoutMs,
      maxBytes: maxAnswerBytes,
    });
    return response.status >= 200 && response.status < 300;
  } catch {
    return false;
  }
}

/**
 * Sends the logout tokens and waits for the first attempts (so a client that answers promptly has
 * logged the user out before the browser leaves); failed deliveries are retried in the background.
 */
export async function sendBackchannelLogout(s: LogoutNotificationsDeps, realm: Realm, session: Session, clientIds: string[]): Promise<void> {
  const ctx = { issuer: issuerOf(s.config, realm), realm, keystore: s.keystore, now: s.clock.now() };
  const targets = (await clientsOf(s, realm, clientIds)).filter((c) => c.metadata.backchannel_logout_uri);
  await Promise.all(targets.map(async (client) => {
    const uri = client.metadata.backchannel_logout_uri!;
    const subject = await subjectFor(s, realm.name, client, session.userId);
    const token = await signLogoutToken(ctx, { client, subject, sessionId: session.id });
    const attempt = async (retry: number): Promise<void> => {
      if (await post(s, uri, token)) return;
      const delay = retryDelaysMs[retry];
      if (delay === undefined) {
        s.log.warn({ realm: realm.name, clientId: client.clientId, event: 'backchannel_logout_failed' }, 'back-channel logout could not be delivered');
        return;
      }
      setTimeout(() => void attempt(retry + 1), delay).unref();
    };
    await attempt(0);
  }));
}

/** The iframe URIs of the sign-out page, with iss and sid (Front-Channel Logout §2, §3). */
export async function frontchannelLogoutUris(s: LogoutNotificationsDeps, realm: Realm, session: Session, clientIds: string[]): Promise<string[]> {
  return (await clientsOf(s, realm, clientIds)).flatMap((client) => {
    if (!client.metadata.frontchannel_logout_uri) return [];
    const url = new URL(client.metadata.frontchannel_logout_uri);
    url.searchParams.set('iss', issuerOf(s.config, realm));
    url.searchParams.set('sid', session.id);
    return [url.href];
  });
}

/**
 * Logout of one session (the logout endpoint, an upstream provider's logout, the admin API, the
 * account console): the session ends, its grants (all but offline ones) are revoked, and its clients
 * are told by back-channel logout. Returns those clients.
 */
export async function logOutSession(s: LogoutNotificationsDeps & Needs<'clock', 'sessions' | 'grants'>, realm: Realm, session: Session): Promise<string[]> {
  const clientIds = await s.store.grants.clientIdsForSession(session.id);
  await endSession(s, session.id);
  await sendBackchannelLogout(s, realm, session, clientIds);
  return clientIds;
}

/**
 * Ends every session of the user (a password reset, a deleted user), revokes every grant (offline
 * ones too), and tells the clients of each session by back-channel logout.
 */
export async function endUserSessions(s: LogoutNotificationsDeps & Needs<'clock', 'sessions' | 'grants'>, realm: Realm, userId: string): Promise<void> {
  const now = s.clock.now();
  const live = await s.store.sessions.listLive({ realm: realm.name, userId }, now, 0, 1000);
  for (const session of live) await logOutSession(s, realm, session);
  await s.store.sessions.endForUser(userId, now);
  await s.store.grants.revokeForUser(userId, now);
}
