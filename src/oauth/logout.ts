// RP-Initiated Logout 1.0: id_token_hint, client_id, post_logout_redirect_uri (registered only),
// state. Without a hint that names the current session, the user confirms with "Sign out".
// Ending the session notifies its clients by back-channel and front-channel logout.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfValid } from '../http/cookies.js';
import { forClient } from '../http/cors.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { sendAnswer } from '../http/page-view.js';
import { getMessages, pickLocale } from '../i18n/messages.js';
import { singleParams, type Params } from '../http/params.js';
import { currentSession, forgetSession, type SsoDeps } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { verifyIdTokenHint, type IdTokenHint, type IdTokenHintDeps } from '../tokens/id-token-hint.js';
import { subjectFor } from '../tokens/subject.js';
import type { Session } from '../store/sessions.js';
import { logoutAtProvider, type BrokerLogoutDeps } from './broker-logout.js';
import { oauthEndpoints } from './endpoints.js';
import { frontchannelLogoutUris, logOutSession, type LogoutNotificationsDeps } from '../identity/logout-notifications.js';

/** What this module uses (services.ts `Needs`). */
export type LogoutDeps = Needs<'audit' | 'config' | 'sealer', 'clients' | 'grants'> & SsoDeps & LogoutNotificationsDeps & IdTokenHintDeps & BrokerLogoutDeps;

interface LogoutRequest { hint?: IdTokenHint; client?: Client; postLogoutRedirectUri?: string; state?: string; uiLocales?: string }

async function verifyHint(s: LogoutDeps, realm: Realm, token: string): Promise<IdTokenHint> {
  const hint = await verifyIdTokenHint(s, realm, token);
  if (!hint) throw new PageError('Invalid sign-out request', 'The application sent an ID token that was not issued here.');
  return hint;
}

async function validateLogout(s: LogoutDeps, realm: Realm, params: Params): Promise<LogoutRequest> {
  const hint = params.id_token_hint === undefined ? undefined : await verifyHint(s, realm, params.id_token_hint);
  if (hint?.clientId && params.client_id !== undefined && params.client_id !== hint.clientId) {
    throw new PageError('Invalid sign-out request', 'client_id does not match the ID token.');
  }
  const clientId = params.client_id ?? hint?.clientId;
  const client = clientId === undefined ? undefined : await s.store.clients.get(realm.name, clientId);
  const postLogoutRedirectUri = params.post_logout_redirect_uri;
  if (postLogoutRedirectUri !== undefined) {
    if (!client) throw new PageError('Invalid sign-out request', 'A return address was given without saying which application it belongs to.');
    if (!client.metadata.post_logout_redirect_uris.includes(postLogoutRedirectUri)) {
      throw new PageError('Invalid sign-out request', 'The address this application asked to return to after sign-out is not registered for it.');
    }
  }
  return { hint, client, postLogoutRedirectUri, state: params.state, uiLocales: params.ui_locales };
}

/** The sub the hint's client knows a user by (pairwise for a pairwise client). */
async function hintSubjectOf(s: LogoutDeps, realm: Realm, hint: IdTokenHint, userId: string): Promise<string> {
  const client = hint.clientId === undefined ? undefined : await s.store.clients.get(realm.name, hint.clientId);
  return subjectFor(s, realm.name, client, userId);
}

function parseParams(source: unknown): Params {
  try {
    return singleParams(source);
  } catch (error) {
    throw new PageError('Invalid sign-out request', (error as Error).message);
  }
}

/** Where the browser goes after signing out: the client's registered URI (with state), if any. */
function afterLogout(logout: LogoutRequest): string | undefined {
  if (!logout.postLogoutRedirectUri) return undefined;
  const url = new URL(logout.postLogoutRedirectUri);
  if (logout.state !== undefined) url.searchParams.set('state', logout.state);
  return url.href;
}

function signedOut(
  request: FastifyRequest, reply: FastifyReply, realm: Realm, logout: LogoutRequest, frames: string[] = [], next = afterLogout(logout),
): FastifyReply | Promise<FastifyReply> {
  if (frames.length === 0 && next) return sendAnswer(reply, { kind: 'redirect', location: next, status: request.method === 'POST' ? 303 : 302 });
  return reply.page({ page: 'signed_out', realm, frames, next: frames.length > 0 ? next : undefined, uiLocales: logout.uiLocales });
}

/** Ends the session, tells its clients (back-channel now, front-channel on the next page), then leaves. */
async function signOut(s: LogoutDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, session: Session, logout: LogoutRequest): Promise<FastifyReply> {
  const clientIds = await logOutSession(s, realm, session);
  forgetSession(s, reply, realm);
  await recordEvent(s, { realm, type: 'logout', userId: session.userId, clientId: logout.client?.clientId, ip: request.ip, sessionId: session.id, details: { clients: clientIds } });
  const frames = await frontchannelLogoutUris(s, realm, session, clientIds);
  // A session an upstream provider signed in may sign out there too, then come back to the application's return address.
  const atProvider = await logoutAtProvider(s, reply, realm, session, afterLogout(logout), logout.uiLocales);
  return signedOut(request, reply, realm, logout, frames, atProvider ?? afterLogout(logout));
}

export function logoutRoutes(app: FastifyInstance, s: LogoutDeps): void {
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!;
    const logout = await validateLogout(s, realm, parseParams(request.method === 'POST' ? request.body : request.query));
    forClient(request, reply, logout.client);
    const active = await currentSession(s, request, realm);
    if (!active) return signedOut(request, reply, realm, logout);
    const hintNamesSession = logout.hint !== undefined
      && (logout.hint.sid ? logout.hint.sid === active.session.id : logout.hint.sub === await hintSubjectOf(s, realm, logout.hint, active.user.id));
    if (hintNamesSession) return signOut(s, request, reply, realm, active.session, logout);
    const fields: Record<string, string> = {};
    if (logout.client) fields.client_id = logout.client.clientId;
    if (logout.postLogoutRedirectUri) fields.post_logout_redirect_uri = logout.postLogoutRedirectUri;
    if (logout.state !== undefined) fields.state = logout.state;
    if (logout.uiLocales !== undefined) fields.ui_locales = logout.uiLocales;
    // The confirmation page holds a CSRF token for this session: no other origin may read it.
    forClient(request, reply, undefined);
    return reply.page({
      page: 'logout_confirm', realm, action: endpointUrl(s.config, realm, oauthEndpoints.end_session_confirmation), session: active.session.id, fields,
      clientName: logout.client ? logout.client.metadata.client_name ?? logout.client.clientId : undefined, uiLocales: logout.uiLocales,
    });
  };
  route(app, oauthEndpoints.end_session_endpoint, handler);

  route(app, oauthEndpoints.end_session_confirmation, async (request, reply) => {
    const realm = request.realm!;
    const params = parseParams(request.body);
    const active = await currentSession(s, request, realm);
    // The confirmation page's token is bound to the session it offered to end.
    if (!csrfValid(s, request, realm.name, params.csrf, active ? { session: active.session.id } : 'browser')) {
      throw new PageError('Page expired', getMessages(pickLocale(undefined, request.headers['accept-language'])).formExpired, 403);
    }
    const { csrf: _csrf, ...rest } = params;
    const logout = await validateLogout(s, realm, rest);
    if (active) return signOut(s, request, reply, realm, active.session, logout);
    forgetSession(s, reply, realm);
    return signedOut(request, reply, realm, logout);
  });
}
