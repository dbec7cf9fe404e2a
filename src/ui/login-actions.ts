// The sign-in and consent forms' targets: they resume a parked authorization request.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfValid } from '../http/cookies.js';
import { route } from '../http/endpoint.js';
import { OAuthError, PageError } from '../http/errors.js';
import { sendAnswer } from '../http/page-view.js';
import { singleParams, type Params } from '../http/params.js';
import { verificationTime, verifyPassword } from '../identity/passwords.js';
import { countLoginFailure } from '../ops/metrics.js';
import { upgradeHash, type PasswordPolicyDeps } from '../security/password-policy.js';
import { endPasswordResets } from '../identity/password-reset.js';
import { isEmailVerified } from '../identity/email-verification.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { mailEnabled } from '../mail/transport.js';
import type { User } from '../store/users.js';
import { sendAndShowVerification, type EmailVerificationPageDeps } from './email-verification.js';
import { realmView } from './render.js';
import { currentSession, startSession, type ActiveSession } from '../identity/sso.js';
import { enrolledFactors, requiredAcr, satisfies } from '../identity/mfa.js';
import { currentLock, recordFailure, recordSuccess, type Lock, type SignInAttempt, type BruteForceDeps } from '../security/brute-force.js';
import { failureReason, recordEvent } from '../security/audit.js';
import { noteDevice, type KnownDevicesDeps } from '../security/devices.js';
import type { Needs } from '../services.js';
import type { Client } from '../store/clients.js';
import type { Realm } from '../store/realms.js';
import { complete, errorResponse, resumeAuthorization, signInView, type CompletionDeps } from '../authorization/completion.js';
import type { AuthorizationRequest } from '../authorization/request.js';
import { answerDevice, browserRequest, continueDevice, isDeviceAuthorization, showDeviceLogin, type DeviceAuthorization, type DeviceVerificationDeps } from './device-verification.js';
import { uiEndpoints } from './endpoints.js';
import { getMessages } from '../i18n/messages.js';

/** What this module uses (services.ts `Needs`). */
export type LoginActionsDeps = Needs<'audit' | 'clock' | 'config' | 'sealer', 'clients' | 'consents' | 'interactions' | 'users'>
  & CompletionDeps & BruteForceDeps & KnownDevicesDeps & PasswordPolicyDeps & DeviceVerificationDeps & EmailVerificationPageDeps;

/** The parked request a page's form continues, after its CSRF token and client are checked. */
export async function resume(s: LoginActionsDeps, request: FastifyRequest, realm: Realm) {
  let params: Params;
  try {
    params = singleParams(request.body);
  } catch (error) {
    throw new PageError('Invalid request', (error as Error).message);
  }
  const t = getMessages(realmView(s, request, realm));
  const id = params.interaction ?? '';
  const interaction = await s.store.interactions.get<AuthorizationRequest | DeviceAuthorization>(id, s.clock.now());
  if (!interaction || interaction.realm !== realm.name) throw new PageError('Sign-in expired', t.interactionExpired);
  if (!csrfValid(s, request, realm.name, params.csrf, { interaction: id })) throw new PageError('Page expired', t.formExpired, 403);
  const client = await s.store.clients.get(realm.name, interaction.clientId);
  if (!client || !client.enabled) throw new PageError('Unknown application', 'This application is not registered here, or it has been disabled.');
  return { id, params, interaction, client, authorization: interaction.request, t };
}

export function loginActionRoutes(app: FastifyInstance, s: LoginActionsDeps): void {
  route(app, uiEndpoints.login_authenticate, async (request, reply) => {
    const realm = request.realm!;
    const { id, params, client, authorization, t } = await resume(s, request, realm);
    const username = (params.username ?? '').trim();
    const password = params.password ?? '';
    const attempt: SignInAttempt = { realm, username, ip: request.ip, log: request.log };
    const again = (error: string, status: number) => isDeviceAuthorization(authorization)
      ? showDeviceLogin(s, request, reply, realm, client, id, error, username, status)
      : reply.page(signInView(realm, client, authorization, id, { error, username }), status);
    const locked = await currentLock(s, attempt);
    if (locked) {
      // The password is not checked (no hash is spent on a locked attempt), but the answer waits as
      // long as a check takes, so a lock answers no faster than a wrong password.
      await verificationTime();
      request.log.info({ realm: realm.name, event: 'login_refused_locked', ip: request.ip }, 'sign-in refused: locked out');
      await recordEvent(s, { realm, type: 'login_failure', clientId: client.clientId, ip: request.ip, details: { username, reason: 'locked' } });
      return again(t.accountLocked, tooManyAttempts(reply, locked));
    }
    const user = username === '' ? undefined : await s.store.users.findByUsername(realm.name, username);
    const valid = await verifyPassword(user?.passwordHash ?? null, password);
    if (!user || !valid || !user.enabled) {
      request.log.info({ realm: realm.name, event: 'login_failed', ip: request.ip }, 'sign-in failed');
      countLoginFailure();
      await recordEvent(s, {
        realm, type: 'login_failure', userId: user?.id, clientId: client.clientId, ip: request.ip,
        details: { username, reason: failureReason(user, valid) },
      });
      const lock = await recordFailure(s, attempt, user);
      return lock ? again(t.accountLocked, tooManyAttempts(reply, lock)) : again(t.invalidCredentials, 401);
    }
    if (realm.settings.sign_in_requires_verified_email && !isEmailVerified(user)) return verificationFirst(s, request, reply, realm, user, again);
    await upgradeHash(s, realm, user, password);
    return firstFactorGiven(s, request, reply, { realm, client, authorization, id, attempt, user, amr: ['pwd'] });
  });

  route(app, uiEndpoints.login_consent, async (request, reply) => {
    const realm = request.realm!;
    const { id, params, interaction, client, authorization } = await resume(s, request, realm);
    const active = await currentSession(s, request, realm);
    if (!active || active.session.id !== interaction.sessionId) {
      throw new PageError('Session changed', 'You are no longer signed in as the user this request was for. Go back to the application and try again.');
    }
    // The consent form is only shown once the session is strong enough; posting it directly does not skip a factor.
    if (!satisfies(active.session, await requiredAcr(s, realm, client, browserRequest(authorization), active.user))) {
      throw new PageError('Verification required', 'This sign-in needs a second factor first. Go back to the application and try again.', 403);
    }
    if (!(await s.store.interactions.finish(id))) throw new PageError('Already completed', 'This request was already answered. Go back to the application.');
    if (isDeviceAuthorization(authorization)) return answerDevice(s, request, reply, realm, client, authorization, active, params.decision === 'allow');
    if (params.decision !== 'allow') {
      return sendAnswer(reply, errorResponse(s, realm, authorization, new OAuthError('access_denied', 'the user denied the request'), 303));
    }
    const previously = await s.store.consents.grantedScopes(active.user.id, client.clientId);
    await s.store.consents.remember(realm.name, active.user.id, client.clientId, [...previously, ...authorization.scope], s.clock.now());
    await recordEvent(s, {
      realm, type: 'consent_granted', userId: active.user.id, clientId: client.clientId, ip: request.ip, sessionId: active.session.id,
      details: { scope: authorization.scope.filter((scope) => !previously.has(scope)) },
    });
    return sendAnswer(reply, await complete(s, realm, client, authorization, active, 303));
  });
}

/**
 * The realm wants a verified address before a password sign-in: a verification goes to the address
 * (the per-address limit bounds how many), and the page says so; without an address or mail, the
 * sign-in page says the address must be verified.
 */
async function verificationFirst(
  s: LoginActionsDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, user: User, again: (error: string, status: number) => unknown,
): Promise<unknown> {
  const t = getEmailMessages(realmView(s, request, realm));
  await recordEvent(s, { realm, type: 'login_failure', userId: user.id, ip: request.ip, details: { username: user.username, reason: 'email_not_verified' } });
  if (!user.email || !mailEnabled(s.config, realm)) return again(t.unverifiedText, 403);
  return sendAndShowVerification(s, request, reply, realm, user as User & { email: string }, { intro: t.unverifiedText, status: 403 });
}

/**
 * The first factor (a password, an e-mail code or link) is given: the session starts, and the parked
 * request goes on, to a second factor if the realm or client asks for one.
 */
export async function firstFactorGiven(
  s: LoginActionsDeps, request: FastifyRequest, reply: FastifyReply,
  f: {
    realm: Realm; client: Client; authorization: AuthorizationRequest | DeviceAuthorization; id: string; attempt: SignInAttempt; user: User; amr: string[];
    /** A provider that signed the user in, and the acr its sign-in is worth here (default 1). */
    upstream?: { idp: string; idpSid?: string; idpIdToken?: string }; acr?: string;
  },
): Promise<FastifyReply> {
  const { realm, client, user } = f;
  // With a second factor to come, the account's failures are forgotten only once it is given:
  // otherwise re-entering the password between guesses would keep resetting the count of wrong codes.
  const factors = await enrolledFactors(s, user);
  if (!factors.totp && factors.passkeys === 0) await recordSuccess(s, f.attempt);
  await endPasswordResets(s, user);
  const session = await startSession(s, request, reply, realm, user, f.amr, f.acr ?? '1', f.upstream);
  await s.store.interactions.attachSession(f.id, session.id);
  request.log.info({ realm: realm.name, event: 'login', userId: user.id }, 'signed in');
  await recordEvent(s, { realm, type: 'login_success', userId: user.id, clientId: client.clientId, ip: request.ip, sessionId: session.id, details: { username: user.username, method: f.amr.join(' ') } });
  await noteDevice(s, request, reply, realm, user, session.id, client.clientId);
  return proceedSignedIn(s, request, reply, realm, client, f.authorization, f.id, { session, user });
}

/**
 * A locked-out sign-in is answered with the sign-in page under 429 and Retry-After (RFC 6585 §4)
 * rather than 200: browsers show the page all the same, while monitoring and scripted clients can
 * tell a lockout from a wrong password and know when to come back.
 */
export function tooManyAttempts(reply: FastifyReply, lock: Lock): number {
  reply.header('retry-after', String(lock.retryAfter));
  return 429;
}

/** Once the user is signed in (or has given a further factor): on with the authorization request, or the device's. */
export async function proceedSignedIn(
  s: LoginActionsDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, client: Client,
  authorization: AuthorizationRequest | DeviceAuthorization, id: string, signedIn: ActiveSession,
): Promise<FastifyReply> {
  if (isDeviceAuthorization(authorization)) return continueDevice(s, request, reply, realm, client, authorization, signedIn, id);
  return sendAnswer(reply, await resumeAuthorization(s, realm, client, authorization, { id, signedIn }));
}
