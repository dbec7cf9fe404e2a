// Second-factor forms: the code asked for after the password (or for step-up), TOTP set-up during
// sign-in, and the account page where a signed-in user sets up factors of their own accord.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { csrfToken, csrfValid } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { singleParams } from '../http/params.js';
import { confirmTotp, currentTotpEnrolment, enrolledFactors, requiredAcr, satisfies, startTotpEnrolment, verifyCode } from '../identity/mfa.js';
import { currentSession, isPending, stepUp, type ActiveSession } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import { currentLock, recordFailure, recordSuccess, type SignInAttempt } from '../security/brute-force.js';
import type { Services } from '../services.js';
import type { Realm } from '../store/realms.js';
import { accountActionRoutes } from './account-actions.js';
import { browserRequest } from './device-verification.js';
import { uiEndpoints } from './endpoints.js';
import { proceedSignedIn, resume } from './login-actions.js';
import { getMessages, type Messages } from '../i18n/messages.js';
import { accountMfaPage, recoveryCodesPage, totpSetupPage } from './mfa-pages.js';
import { realmView, sendPage, webauthnScriptHrefs } from './render.js';
import { challengeKey, registrationOptions } from '../identity/webauthn.js';
import { showSecondFactor } from './second-factor.js';

/** The session a parked interaction was bound to when its page was shown; another one is refused. */
export async function boundSession(s: Services, request: FastifyRequest, realm: Realm, sessionId: string | null): Promise<ActiveSession> {
  const active = await currentSession(s, request, realm);
  if (!active || sessionId === null || active.session.id !== sessionId) {
    throw new PageError('Session changed', 'You are no longer signed in as the user this request was for. Go back to the application and try again.');
  }
  return active;
}

const accountPath = (s: Services, realm: Realm) => endpointUrl(s.config, realm, uiEndpoints.account_mfa);

export function mfaActionRoutes(app: FastifyInstance, s: Services): void {
  accountActionRoutes(app, s);
  route(app, uiEndpoints.login_second_factor, async (request, reply) => {
    const realm = request.realm!;
    const { id, params, interaction, client, authorization, t } = await resume(s, request, realm);
    const active = await boundSession(s, request, realm, interaction.sessionId);
    const required = await requiredAcr(s, realm, client, browserRequest(authorization), active.user);
    const again = (error: string, status: number) => showSecondFactor(s, request, reply, realm, browserRequest(authorization)?.uiLocales, active, id, required, error, status);
    const attempt: SignInAttempt = { realm, username: active.user.username, ip: request.ip, log: request.log };
    const locked = await currentLock(s, attempt);
    if (locked) return again(t.accountLocked, retryAfter(reply, locked.retryAfter));
    const amr = await verifyCode(s, realm, active.user, params.code ?? '');
    if (!amr) {
      request.log.info({ realm: realm.name, event: 'mfa_failed', ip: request.ip }, 'second factor refused');
      await recordEvent(s, { realm, type: 'mfa_failure', userId: active.user.id, clientId: client.clientId, ip: request.ip, sessionId: active.session.id, details: { method: 'otp' } });
      const lock = await recordFailure(s, attempt, active.user);
      return lock ? again(t.accountLocked, retryAfter(reply, lock.retryAfter)) : again(t.invalidCode, 401);
    }
    await recordSuccess(s, attempt);
    const session = await stepUp(s, reply, realm, active.session, amr);
    return proceedSignedIn(s, request, reply, realm, client, authorization, id, { session, user: active.user });
  });

  route(app, uiEndpoints.login_enrol_totp, async (request, reply) => {
    const realm = request.realm!;
    const { id, params, interaction, authorization, t } = await resume(s, request, realm);
    const active = await boundSession(s, request, realm, interaction.sessionId);
    const codes = await enrolTotp(s, request, reply, realm, active, params.code ?? '', t, { interaction: id }, endpointUrl(s.config, realm, uiEndpoints.login_enrol_totp), browserRequest(authorization)?.uiLocales);
    if (!Array.isArray(codes)) return codes;
    const session = await stepUp(s, reply, realm, active.session, ['otp']);
    request.log.info({ realm: realm.name, event: 'mfa_enrolled', userId: session.userId }, 'TOTP set up');
    return sendPage(reply, recoveryCodesPage({
      realm: realmView(s, request, realm, browserRequest(authorization)?.uiLocales), codes,
      next: { action: endpointUrl(s.config, realm, uiEndpoints.login_continue), fields: { csrf: csrfToken(s, request, reply, realm.name, { interaction: id }), interaction: id } },
    }));
  });

  /** After the recovery codes were shown: the sign-in goes on (proceed checks everything again). */
  route(app, uiEndpoints.login_continue, async (request, reply) => {
    const realm = request.realm!;
    const { id, interaction, client, authorization } = await resume(s, request, realm);
    const active = await boundSession(s, request, realm, interaction.sessionId);
    return proceedSignedIn(s, request, reply, realm, client, authorization, id, active);
  });

  route(app, uiEndpoints.account_mfa, async (request, reply) => {
    const realm = request.realm!;
    return sendAccountPage(s, request, reply, realm, await signedIn(s, request, realm));
  });

  const showTotpSetup: RouteHandlerMethod = async (request, reply) => {
    const realm = request.realm!;
    const active = await signedIn(s, request, realm);
    const factors = await enrolledFactors(s, active.user);
    if (factors.totp || !mayChangeFactors(factors, active)) return reply.redirect(accountPath(s, realm), 303);
    if (!signedInRecently(s, realm, active)) return sendAccountPage(s, request, reply, realm, active, undefined, 403, getMessages(realmView(s, request, realm).locale).reauthenticationRequired);
    const enrolment = await startTotpEnrolment(s, realm, active.user, active.session.id);
    return sendPage(reply, totpSetupPage({
      realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.account_totp),
      csrf: csrfToken(s, request, reply, realm.name, { session: active.session.id }), fields: {}, secret: enrolment.secret, qrSvg: enrolment.qrSvg,
    }));
  };

  const setUpTotp: RouteHandlerMethod = async (request, reply) => {
    const realm = request.realm!;
    const { active, params, t } = await accountForm(s, request, realm);
    const factors = await enrolledFactors(s, active.user);
    if (factors.totp || !mayChangeFactors(factors, active)) return reply.redirect(accountPath(s, realm), 303);
    if (!signedInRecently(s, realm, active)) return sendAccountPage(s, request, reply, realm, active, undefined, 403, t.reauthenticationRequired);
    const codes = await enrolTotp(s, request, reply, realm, active, params.code ?? '', t, {}, endpointUrl(s.config, realm, uiEndpoints.account_totp));
    if (!Array.isArray(codes)) return codes;
    await stepUp(s, reply, realm, active.session, ['otp']);
    request.log.info({ realm: realm.name, event: 'mfa_enrolled', userId: active.user.id }, 'TOTP set up');
    return sendPage(reply, recoveryCodesPage({ realm: realmView(s, request, realm), codes, next: { href: accountPath(s, realm) } }));
  };

  route(app, uiEndpoints.account_totp, { GET: showTotpSetup, POST: setUpTotp });
}

/**
 * Confirms the pending TOTP secret with the code typed; on success, the recovery codes (and an
 * `mfa_enrolled` event); otherwise the set-up page again with an error.
 */
async function enrolTotp(
  s: Services, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession, code: string, t: Messages,
  fields: Record<string, string>, action: string, uiLocales?: string,
): Promise<string[] | FastifyReply> {
  const codes = await confirmTotp(s, realm, active.user, active.session.id, code.trim());
  if (codes) {
    await recordEvent(s, { realm, type: 'mfa_enrolled', userId: active.user.id, ip: request.ip, sessionId: active.session.id, details: { method: 'otp' } });
    return codes;
  }
  const enrolment = await currentTotpEnrolment(s, realm, active.user, active.session.id);
  return sendPage(reply, totpSetupPage({
    realm: realmView(s, request, realm, uiLocales), action, csrf: csrfToken(s, request, reply, realm.name, fields.interaction ? { interaction: fields.interaction } : { session: active.session.id }),
    fields, secret: enrolment.secret, qrSvg: enrolment.qrSvg, error: t.invalidCode,
  }), 401);
}

/** A user who has a factor changes factors only from a session that used one (else a password alone would do). */
export function mayChangeFactors(factors: { totp: boolean; passkeys: number }, active: ActiveSession): boolean {
  return (!factors.totp && factors.passkeys === 0) || satisfies(active.session, '2');
}

/** The account pages' session: a complete one (a half-signed-in session, second factor still owed, opens nothing here). */
export async function signedIn(s: Services, request: FastifyRequest, realm: Realm): Promise<ActiveSession> {
  const active = await currentSession(s, request, realm);
  const t = getMessages(realmView(s, request, realm).locale);
  if (!active) throw new PageError('Not signed in', t.notSignedIn, 401);
  if (await isPending(s, realm, active)) throw new PageError('Sign-in not finished', t.signInUnfinished, 403);
  return active;
}

/** Whether the sign-in is recent enough to register or remove a second factor; an older session signs in again first. */
export function signedInRecently(s: Services, realm: Realm, active: ActiveSession): boolean {
  return s.clock.now() - active.session.authTime <= realm.settings.reauthentication_max_age * 1000;
}

/** A form posted on an account page: the signed-in user, the fields, and the page's messages; CSRF checked. */
export async function accountForm(s: Services, request: FastifyRequest, realm: Realm) {
  const active = await signedIn(s, request, realm);
  const params = formParams(request);
  const t = getMessages(realmView(s, request, realm).locale);
  if (!csrfValid(s, request, realm.name, params.csrf, { session: active.session.id })) throw new PageError('Page expired', t.formExpired, 403);
  return { active, params, t };
}

export function formParams(request: FastifyRequest) {
  try {
    return singleParams(request.body);
  } catch (error) {
    throw new PageError('Invalid request', (error as Error).message);
  }
}

export function retryAfter(reply: FastifyReply, seconds: number): number {
  reply.header('retry-after', String(seconds));
  return 429;
}

/**
 * The account page: the user's factors, with set-up, removal and new-recovery-code buttons when the
 * session may change them, and a link to the applications the user allowed.
 */
export async function sendAccountPage(
  s: Services, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession, notice?: string, status = 200, error?: string,
): Promise<FastifyReply> {
  const factors = await enrolledFactors(s, active.user);
  const canChange = mayChangeFactors(factors, active);
  const csrf = csrfToken(s, request, reply, realm.name, { session: active.session.id });
  const view = realmView(s, request, realm);
  const t = getMessages(view.locale);
  const passkeys = canChange ? await s.store.mfa.webauthnCredentials(active.user.id) : [];
  return sendPage(reply, accountMfaPage({
    realm: view, scriptHrefs: webauthnScriptHrefs(s), username: active.user.username, ...factors, canChange, notice, error,
    applicationsHref: endpointUrl(s.config, realm, uiEndpoints.account_applications),
    reauthenticateHref: canChange && !signedInRecently(s, realm, active) ? endpointUrl(s.config, realm, uiEndpoints.account_reauthenticate) : undefined,
    totpSetup: canChange && !factors.totp ? { href: endpointUrl(s.config, realm, uiEndpoints.account_totp) } : undefined,
    totpRemove: canChange && factors.totp ? { action: endpointUrl(s.config, realm, uiEndpoints.account_totp_remove), fields: { csrf }, label: t.removeFactor } : undefined,
    passkeyRemoves: passkeys.map((c) => ({ action: endpointUrl(s.config, realm, uiEndpoints.account_passkey_remove), fields: { csrf, credential_id: c.id }, label: t.removeFactor })),
    newRecoveryCodes: canChange && (factors.totp || factors.passkeys > 0)
      ? { action: endpointUrl(s.config, realm, uiEndpoints.account_recovery_codes), fields: { csrf }, label: t.newRecoveryCodes } : undefined,
    passkey: canChange ? {
      action: endpointUrl(s.config, realm, uiEndpoints.account_passkey), ceremony: 'register', label: t.registerPasskey, fields: { csrf },
      options: await registrationOptions(s, realm, active.user, challengeKey.session(active.session.id)),
    } : undefined,
  }), status);
}
