// The account pages' own forms: the applications a user allowed (revoking a consent ends its
// tokens at once), and removing second factors or replacing the recovery codes. Every form is a
// plain POST with the CSRF token; factors change only from a session that used one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { enrolledFactors, newRecoveryCodes, realmRequiresMfa, verifyCode } from '../identity/mfa.js';
import { verifyPassword } from '../identity/passwords.js';
import { reauthenticated, type ActiveSession } from '../identity/sso.js';
import { currentLock, recordFailure, recordSuccess, type SignInAttempt, type BruteForceDeps } from '../security/brute-force.js';
import { recordEvent } from '../security/audit.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { uiEndpoints } from './endpoints.js';
import { accountForm, accountNav, accountSession, mayChangeFactors, retryAfter, sendAccountPage, signedInRecently, type AccountPageDeps } from './account-page.js';
import { format, getMessages, type Messages } from '../i18n/messages.js';
import { accountApplicationsPage, reauthenticatePage, recoveryCodesPage } from './mfa-pages.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type AccountActionsDeps = Needs<'audit' | 'clock' | 'config' | 'sealer', 'clients' | 'consents' | 'grants' | 'mfa'>
  & BruteForceDeps & AccountPageDeps;

export function accountActionRoutes(app: FastifyInstance, s: AccountActionsDeps): void {
  route(app, uiEndpoints.account_applications, async (request, reply) => {
    const realm = request.realm!;
    return sendApplicationsPage(s, request, reply, realm, accountSession(request));
  });

  route(app, uiEndpoints.account_application_revoke, async (request, reply) => {
    const realm = request.realm!;
    const { active, params, t } = accountForm(s, request, realm);
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

  const showReauthentication = async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!;
    return sendReauthenticatePage(s, request, reply, realm, accountSession(request));
  };

  /**
   * Re-authentication before factor changes (prompt=login within the account pages): the password,
   * and a code when the user has one to give; counted like any sign-in by brute-force protection.
   */
  const reauthenticate = async (request: FastifyRequest, reply: FastifyReply) => {
    const realm = request.realm!;
    const { active, params, t } = accountForm(s, request, realm);
    const again = (error: string, status: number) => sendReauthenticatePage(s, request, reply, realm, active, error, status);
    const attempt: SignInAttempt = { realm, username: active.user.username, ip: request.ip, log: request.log };
    const locked = await currentLock(s, attempt);
    if (locked) return again(t.accountLocked, retryAfter(reply, locked.retryAfter));
    const owesCode = await codeOwed(s, active);
    if (owesCode === undefined) return sendAccountPage(s, request, reply, realm, active, undefined, 403, t.reauthenticationRequired);
    const password = await verifyPassword(active.user.passwordHash, params.password ?? '');
    // The code is only checked (and spent) once the password is right.
    const code = password && owesCode ? await verifyCode(s, realm, active.user, params.code ?? '') : [];
    if (!password || !code) {
      request.log.info({ realm: realm.name, event: 'reauthentication_failed', ip: request.ip }, 're-authentication refused');
      await recordEvent(s, password
        ? { realm, type: 'mfa_failure', userId: active.user.id, ip: request.ip, sessionId: active.session.id, details: { method: 'otp' } }
        : { realm, type: 'login_failure', userId: active.user.id, ip: request.ip, details: { username: active.user.username, reason: 'bad_password' } });
      const lock = await recordFailure(s, attempt, active.user);
      return lock ? again(t.accountLocked, retryAfter(reply, lock.retryAfter)) : again(password ? t.invalidCode : t.invalidCredentials, 401);
    }
    await recordSuccess(s, attempt);
    await reauthenticated(s, reply, realm, active.session);
    await recordEvent(s, {
      realm, type: 'login_success', userId: active.user.id, ip: request.ip, sessionId: active.session.id,
      details: { username: active.user.username, method: 'reauthentication' },
    });
    request.log.info({ realm: realm.name, event: 'reauthenticated', userId: active.user.id }, 're-authenticated on the account page');
    return reply.redirect(endpointUrl(s.config, realm, uiEndpoints.account_mfa), 303);
  };
  route(app, uiEndpoints.account_reauthenticate, { GET: showReauthentication, POST: reauthenticate });

  route(app, uiEndpoints.account_totp_remove, async (request, reply) => {
    const realm = request.realm!;
    const { active, t } = accountForm(s, request, realm);
    const refused = await refusal(s, realm, active, t);
    if (refused) return sendAccountPage(s, request, reply, realm, active, undefined, refused.status, refused.error);
    if (await s.store.mfa.removeTotp(active.user.id)) await removed(s, request, realm, active, 'otp');
    return sendAccountPage(s, request, reply, realm, active, t.factorRemoved);
  });

  route(app, uiEndpoints.account_passkey_remove, async (request, reply) => {
    const realm = request.realm!;
    const { active, params, t } = accountForm(s, request, realm);
    const refused = await refusal(s, realm, active, t);
    if (refused) return sendAccountPage(s, request, reply, realm, active, undefined, refused.status, refused.error);
    if (await s.store.mfa.removeWebauthnCredential(active.user.id, params.credential_id ?? '')) await removed(s, request, realm, active, 'passkey');
    return sendAccountPage(s, request, reply, realm, active, t.factorRemoved);
  });

  route(app, uiEndpoints.account_recovery_codes, async (request, reply) => {
    const realm = request.realm!;
    const { active, t } = accountForm(s, request, realm);
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
 * Why a factor may not be removed (the session did not use a second factor, its sign-in is more
 * than 5 minutes old, or the realm requires one and this is the last), as the message and status of the account page; undefined if it may.
 * (Not the reply itself: a FastifyReply is thenable, so an async function cannot return one.)
 */
async function refusal(s: AccountActionsDeps, realm: Realm, active: ActiveSession, t: Messages): Promise<{ error: string; status: number } | undefined> {
  const factors = await enrolledFactors(s, active.user);
  if (!mayChangeFactors(factors, active)) return { error: t.accountMfaStepUp, status: 403 };
  if (!signedInRecently(s, realm, active)) return { error: t.reauthenticationRequired, status: 403 };
  const count = (factors.totp ? 1 : 0) + factors.passkeys;
  if (count <= 1 && realmRequiresMfa(realm, active.user)) return { error: t.lastFactorRequired, status: 409 };
  return undefined;
}

/** After a factor is removed: the event, and the recovery codes go with the last factor. */
async function removed(s: AccountActionsDeps, request: FastifyRequest, realm: Realm, active: ActiveSession, method: 'otp' | 'passkey'): Promise<void> {
  const factors = await enrolledFactors(s, active.user);
  if (!factors.totp && factors.passkeys === 0) await s.store.mfa.removeRecoveryCodes(active.user.id);
  await recordEvent(s, { realm, type: 'mfa_removed', userId: active.user.id, ip: request.ip, sessionId: active.session.id, details: { method } });
  request.log.info({ realm: realm.name, event: 'mfa_removed', method, userId: active.user.id }, 'second factor removed');
}

/**
 * Whether re-authentication asks for a code besides the password: yes for a user with an
 * authenticator app or recovery codes, no for a user without factors; undefined for a user whose
 * only factor is a passkey (not offered here: such a user signs in again through an application).
 */
async function codeOwed(s: AccountActionsDeps, active: ActiveSession): Promise<boolean | undefined> {
  const factors = await enrolledFactors(s, active.user);
  if (factors.totp || factors.recoveryCodes > 0) return true;
  return factors.passkeys > 0 ? undefined : false;
}

async function sendReauthenticatePage(
  s: AccountActionsDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession, error?: string, status = 200,
): Promise<FastifyReply> {
  const code = await codeOwed(s, active);
  const t = getMessages(realmView(s, request, realm));
  if (code === undefined) return sendAccountPage(s, request, reply, realm, active, undefined, 403, t.reauthenticationRequired);
  return sendPage(reply, reauthenticatePage({
    realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.account_reauthenticate),
    csrf: csrfToken(s, request, reply, realm.name, { session: active.session.id }), code, error,
  }), status);
}

async function sendApplicationsPage(
  s: AccountActionsDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession, notice?: string,
): Promise<FastifyReply> {
  const csrf = csrfToken(s, request, reply, realm.name, { session: active.session.id });
  const view = realmView(s, request, realm);
  const t = getMessages(view);
  const consents = await s.store.consents.forUser(realm.name, active.user.id);
  const applications = await Promise.all(consents.map(async (c) => {
    const client = await s.store.clients.get(realm.name, c.clientId);
    return {
      name: client?.metadata.client_name ?? c.clientId, scopes: c.scopes,
      revoke: { action: endpointUrl(s.config, realm, uiEndpoints.account_application_revoke), fields: { csrf, client_id: c.clientId }, label: t.revokeAccess },
    };
  }));
  return sendPage(reply, accountApplicationsPage({ realm: view, nav: accountNav(s, request, realm, active, 'applications'), notice, applications }));
}
