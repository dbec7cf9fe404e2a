// The account pages' own forms: the applications a user allowed (revoking a consent ends its
// tokens at once), and removing second factors or replacing the recovery codes. Every form is a
// plain POST with the CSRF token; factors change only from a session that used one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cookieScope, csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { enrolledFactors, newRecoveryCodes, realmRequiresMfa } from '../identity/mfa.js';
import type { ActiveSession } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import type { Services } from '../services.js';
import type { Realm } from '../store/realms.js';
import { uiEndpoints } from './endpoints.js';
import { accountForm, mayChangeFactors, sendAccountPage, signedIn } from './mfa-actions.js';
import { format, getMessages, type Messages } from './messages.js';
import { accountApplicationsPage, recoveryCodesPage } from './mfa-pages.js';
import { realmView, sendPage } from './render.js';

export function accountActionRoutes(app: FastifyInstance, s: Services): void {
  route(app, uiEndpoints.account_applications, async (request, reply) => {
    const realm = request.realm!;
    return sendApplicationsPage(s, request, reply, realm, await signedIn(s, request, realm));
  });

  route(app, uiEndpoints.account_application_revoke, async (request, reply) => {
    const realm = request.realm!;
    const { active, params, t } = await accountForm(s, request, realm);
    const clientId = params.client_id ?? '';
    // Scoped to the signed-in user: another user's consent (or an unknown client) is simply not found.
    const scopes = clientId === '' ? undefined : await s.store.consents.forget(realm.name, active.user.id, clientId);
    if (!scopes) return sendApplicationsPage(s, request, reply, realm, active);
    await s.store.grants.revokeForUserAndClient(realm.name, active.user.id, clientId, s.clock.now());
    await recordEvent(s, {
      realm, type: 'consent_revoked', userId: active.user.id, clientId, ip: request.ip, sessionId: active.session.id, details: { scope: scopes },
    });
    request.log.info({ realm: realm.name, event: 'consent_revoked', userId: active.user.id, clientId }, 'consent revoked on the account page');
    const client = await s.store.clients.get(realm.name, clientId);
    return sendApplicationsPage(s, request, reply, realm, active, format(t.accessRevoked, { client: client?.metadata.client_name ?? clientId }));
  });

  route(app, uiEndpoints.account_totp_remove, async (request, reply) => {
    const realm = request.realm!;
    const { active, t } = await accountForm(s, request, realm);
    const refused = await refusal(s, realm, active, t);
    if (refused) return sendAccountPage(s, request, reply, realm, active, undefined, refused.status, refused.error);
    if (await s.store.mfa.removeTotp(active.user.id)) await removed(s, request, realm, active, 'otp');
    return sendAccountPage(s, request, reply, realm, active, t.factorRemoved);
  });

  route(app, uiEndpoints.account_passkey_remove, async (request, reply) => {
    const realm = request.realm!;
    const { active, params, t } = await accountForm(s, request, realm);
    const refused = await refusal(s, realm, active, t);
    if (refused) return sendAccountPage(s, request, reply, realm, active, undefined, refused.status, refused.error);
    if (await s.store.mfa.removeWebauthnCredential(active.user.id, params.credential_id ?? '')) await removed(s, request, realm, active, 'passkey');
    return sendAccountPage(s, request, reply, realm, active, t.factorRemoved);
  });

  route(app, uiEndpoints.account_recovery_codes, async (request, reply) => {
    const realm = request.realm!;
    const { active, t } = await accountForm(s, request, realm);
    const factors = await enrolledFactors(s, active.user);
    if (!factors.totp && factors.passkeys === 0) return reply.redirect(endpointUrl(s.config, realm, uiEndpoints.account_mfa), 303);
    if (!mayChangeFactors(factors, active)) return sendAccountPage(s, request, reply, realm, active, undefined, 403, t.accountMfaStepUp);
    const codes = await newRecoveryCodes(s, active.user);
    await recordEvent(s, { realm, type: 'recovery_codes_regenerated', userId: active.user.id, ip: request.ip, sessionId: active.session.id });
    request.log.info({ realm: realm.name, event: 'recovery_codes_regenerated', userId: active.user.id }, 'new recovery codes');
    return sendPage(reply, recoveryCodesPage({ realm: realmView(s, request, realm), codes, next: { href: endpointUrl(s.config, realm, uiEndpoints.account_mfa) } }));
  });
}

/**
 * Why a factor may not be removed (the session did not use a second factor, or the realm requires
 * one and this is the last), as the message and status of the account page; undefined if it may.
 * (Not the reply itself: a FastifyReply is thenable, so an async function cannot return one.)
 */
async function refusal(s: Services, realm: Realm, active: ActiveSession, t: Messages): Promise<{ error: string; status: number } | undefined> {
  const factors = await enrolledFactors(s, active.user);
  if (!mayChangeFactors(factors, active)) return { error: t.accountMfaStepUp, status: 403 };
  const count = (factors.totp ? 1 : 0) + factors.passkeys;
  if (count <= 1 && realmRequiresMfa(realm, active.user)) return { error: t.lastFactorRequired, status: 409 };
  return undefined;
}

/** After a factor is removed: the event, and the recovery codes go with the last factor. */
async function removed(s: Services, request: FastifyRequest, realm: Realm, active: ActiveSession, method: 'otp' | 'passkey'): Promise<void> {
  const factors = await enrolledFactors(s, active.user);
  if (!factors.totp && factors.passkeys === 0) await s.store.mfa.removeRecoveryCodes(active.user.id);
  await recordEvent(s, { realm, type: 'mfa_removed', userId: active.user.id, ip: request.ip, sessionId: active.session.id, details: { method } });
  request.log.info({ realm: realm.name, event: 'mfa_removed', method, userId: active.user.id }, 'second factor removed');
}

async function sendApplicationsPage(
  s: Services, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession, notice?: string,
): Promise<FastifyReply> {
  const csrf = csrfToken(request, reply, cookieScope(s.config.publicUrl, realm.name));
  const view = realmView(s, request, realm);
  const t = getMessages(view.locale);
  const consents = await s.store.consents.forUser(realm.name, active.user.id);
  const applications = await Promise.all(consents.map(async (c) => {
    const client = await s.store.clients.get(realm.name, c.clientId);
    return {
      name: client?.metadata.client_name ?? c.clientId, scopes: c.scopes,
      revoke: { action: endpointUrl(s.config, realm, uiEndpoints.account_application_revoke), fields: { csrf, client_id: c.clientId }, label: t.revokeAccess },
    };
  }));
  return sendPage(reply, accountApplicationsPage({ realm: view, username: active.user.username, accountHref: endpointUrl(s.config, realm, uiEndpoints.account_mfa), notice, applications }));
}
