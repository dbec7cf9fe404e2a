// The account console's Devices and sessions (docs/account.md): every live SSO session of the user,
// with its browser, address, and when it started and was last used; signing one out (or all but
// this one) is a logout like the logout endpoint's: its tokens stop working and its clients hear
// it by back-channel logout.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { getAccountMessages } from '../i18n/account-messages.js';
import { logOutSession, type LogoutNotificationsDeps } from '../identity/logout-notifications.js';
import type { ActiveSession } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import { userAgentParts } from '../security/devices.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { ListedSession } from '../store/sessions.js';
import { accountForm, accountNav, accountSession, accountTimeFormat, type AccountPageDeps } from './account-page.js';
import { sessionsPage, type SessionItem } from './account-pages.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type AccountSessionsDeps = AccountPageDeps & LogoutNotificationsDeps & Needs<'audit' | 'clock', 'clients' | 'grants' | 'sessions'>;

/** More live sessions than this for one user are not listed (nor signed out from here). */
const maxListed = 100;

const liveSessions = (s: AccountSessionsDeps, realm: Realm, active: ActiveSession) =>
  s.store.sessions.listLive({ realm: realm.name, userId: active.user.id }, s.clock.now(), 0, maxListed);

async function signOut(s: AccountSessionsDeps, request: FastifyRequest, realm: Realm, active: ActiveSession, session: ListedSession): Promise<void> {
  const clientIds = await logOutSession(s, realm, session);
  await recordEvent(s, { realm, type: 'logout', userId: active.user.id, ip: request.ip, sessionId: session.id, details: { clients: clientIds, by: 'account_console' } });
  request.log.info({ realm: realm.name, event: 'account_session_signed_out', userId: active.user.id }, 'session signed out on the account console');
}

/** Signs out every live session of the user but the one in use (after a password change, or at the user's request). */
export async function signOutOtherSessions(s: AccountSessionsDeps, request: FastifyRequest, realm: Realm, active: ActiveSession): Promise<void> {
  for (const session of await liveSessions(s, realm, active)) {
    if (session.id !== active.session.id) await signOut(s, request, realm, active, session);
  }
}

export function accountSessionRoutes(app: FastifyInstance, s: AccountSessionsDeps): void {
  route(app, uiEndpoints.account_sessions, async (request, reply) => show(s, request, reply, request.realm!, accountSession(request)));

  route(app, uiEndpoints.account_session_sign_out, async (request, reply) => {
    const realm = request.realm!;
    const { active, params } = accountForm(s, request, realm);
    const t = getAccountMessages(realmView(s, request, realm));
    if (params.others === 'yes') {
      await signOutOtherSessions(s, request, realm, active);
      return show(s, request, reply, realm, active, t.sessionsOthersSignedOut);
    }
    // Only the user's own sessions, and not this one (Sign out in an application ends it, with its redirects).
    const session = (await liveSessions(s, realm, active)).find((candidate) => candidate.id === params.session && candidate.id !== active.session.id);
    if (!session) return show(s, request, reply, realm, active);
    await signOut(s, request, realm, active, session);
    return show(s, request, reply, realm, active, t.sessionsSignedOut);
  });
}

async function show(
  s: AccountSessionsDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession, notice?: string,
): Promise<FastifyReply> {
  const view = realmView(s, request, realm);
  const t = getAccountMessages(view);
  const csrf = csrfToken(s, request, reply, realm.name, { session: active.session.id });
  const action = endpointUrl(s.config, realm, uiEndpoints.account_session_sign_out);
  const when = accountTimeFormat(view.locale, active.user);
  const live = await liveSessions(s, realm, active);
  // This device first, then the others as listed (newest first).
  const ordered = [...live.filter((session) => session.id === active.session.id), ...live.filter((session) => session.id !== active.session.id)];
  const sessions: SessionItem[] = await Promise.all(ordered.map(async (session) => {
    const thisDevice = session.id === active.session.id;
    const clientIds = await s.store.grants.clientIdsForSession(session.id);
    const applications = await Promise.all(clientIds.map(async (id) => (await s.store.clients.get(realm.name, id))?.metadata.client_name ?? id));
    return {
      id: session.id, ...userAgentParts(session.userAgent), address: session.ipAddress,
      started: when.format(session.createdAt), lastSeen: when.format(session.lastSeenAt), applications, thisDevice,
      signOut: thisDevice ? undefined : { action, fields: { csrf, session: session.id }, label: t.sessionsSignOut },
    };
  }));
  return sendPage(reply, sessionsPage({
    realm: view, nav: accountNav(s, request, realm, active, 'sessions'), sessions, notice,
    signOutOthers: live.length > 1 ? { action, fields: { csrf, others: 'yes' }, label: t.sessionsSignOutOthers } : undefined,
  }));
}
