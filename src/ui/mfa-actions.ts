// Second-factor forms: the code asked for after the password (or for step-up), TOTP set-up during
// sign-in, and the account page where a signed-in user sets up factors of their own accord.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { confirmTotp, currentTotpEnrolment, enrolledFactors, requiredAcr, startTotpEnrolment, verifyCode } from '../identity/mfa.js';
import { currentSession, stepUp, type ActiveSession } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import { currentLock, recordFailure, recordSuccess, type SignInAttempt } from '../security/brute-force.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { accountActionRoutes, type AccountActionsDeps } from './account-actions.js';
import { accountForm, accountSession, mayChangeFactors, retryAfter, sendAccountPage, signedInRecently } from './account-page.js';
import { browserRequest } from './device-verification.js';
import { uiEndpoints } from './endpoints.js';
import { proceedSignedIn, resume, type LoginActionsDeps } from './login-actions.js';
import { getMessages, type Messages } from '../i18n/messages.js';
import { recoveryCodesPage, totpSetupPage } from './mfa-pages.js';
import { realmView, sendPage } from './render.js';
import { showSecondFactor } from './second-factor.js';

/** What this module uses (services.ts `Needs`). */
export type MfaActionsDeps = Needs<'audit' | 'config' | 'sealer'> & AccountActionsDeps & LoginActionsDeps;

/** The session a parked interaction was bound to when its page was shown; another one is refused. */
export async function boundSession(s: MfaActionsDeps, request: FastifyRequest, realm: Realm, sessionId: string | null): Promise<ActiveSession> {
  const active = await currentSession(s, request, realm);
  if (!active || sessionId === null || active.session.id !== sessionId) {
    throw new PageError('Session changed', 'You are no longer signed in as the user this request was for. Go back to the application and try again.');
  }
  return active;
}

const accountPath = (s: MfaActionsDeps, realm: Realm) => endpointUrl(s.config, realm, uiEndpoints.account_mfa);

export function mfaActionRoutes(app: FastifyInstance, s: MfaActionsDeps): void {
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
    return sendAccountPage(s, request, reply, realm, accountSession(request));
  });

  const showTotpSetup: RouteHandlerMethod = async (request, reply) => {
    const realm = request.realm!;
    const active = accountSession(request);
    const factors = await enrolledFactors(s, active.user);
    if (factors.totp || !mayChangeFactors(factors, active)) return reply.redirect(accountPath(s, realm), 303);
    if (!signedInRecently(s, realm, active)) return sendAccountPage(s, request, reply, realm, active, undefined, 403, getMessages(realmView(s, request, realm)).reauthenticationRequired);
    const enrolment = await startTotpEnrolment(s, realm, active.user, active.session.id);
    return sendPage(reply, totpSetupPage({
      realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.account_totp),
      csrf: csrfToken(s, request, reply, realm.name, { session: active.session.id }), fields: {}, secret: enrolment.secret, qrSvg: enrolment.qrSvg,
    }));
  };

  const setUpTotp: RouteHandlerMethod = async (request, reply) => {
    const realm = request.realm!;
    const { active, params, t } = accountForm(s, request, realm);
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
  s: MfaActionsDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession, code: string, t: Messages,
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
