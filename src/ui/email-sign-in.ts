// Sign-in by e-mail code (docs/email.md): `Email me a sign-in code` on the sign-in page posts the
// typed username here; the code page is the same whatever the account; a right code is a first
// factor like a password (brute-force protection counts the wrong ones), and a sign-in link, where
// the realm sends one, works only in the browser that asked for it: it carries that browser's
// CSRF token for the parked request, which no other browser's cookie matches.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken, csrfValid } from '../http/cookies.js';
import { afterAnswer } from '../http/after-answer.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { getMessages } from '../i18n/messages.js';
import { emailSignInMode, emailSignInOffered, mayReceiveSignInCode, newSignInChallenge, sendSignInCode, signInByCode, signInByLink, emailSignInAmr, type EmailSignInServices } from '../identity/email-sign-in.js';
import { accountFor } from '../identity/password-reset.js';
import { countLoginFailure } from '../ops/metrics.js';
import { currentLock, recordFailure, type SignInAttempt } from '../security/brute-force.js';
import { recordEvent } from '../security/audit.js';
import type { Realm } from '../store/realms.js';
import { emailCodePage, emailLinkPage, noticePage } from './email-pages.js';
import { uiEndpoints } from './endpoints.js';
import { firstFactorGiven, resume, tooManyAttempts, type LoginActionsDeps } from './login-actions.js';
import { isDeviceAuthorization } from './device-verification.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type EmailSignInPageDeps = LoginActionsDeps & EmailSignInServices;

const maxUsernameLength = 254;

export function emailSignInRoutes(app: FastifyInstance, s: EmailSignInPageDeps): void {
  /** `Email me a sign-in code`, and `Send a new code` on the code page. */
  route(app, uiEndpoints.login_email_code, async (request, reply) => {
    const { realm, id, params, client } = await parked(s, request);
    const username = (params.username ?? '').trim().slice(0, maxUsernameLength);
    const t = getEmailMessages(realmView(s, request, realm));
    const show = codePageFor(s, request, reply, realm, id, username);
    if (username === '') return show(newSignInChallenge(), t.emailCodeNeedsUsername, 400);
    const locked = await currentLock(s, attemptOf(request, realm, username));
    if (locked) return show(newSignInChallenge(), getMessages(realmView(s, request, realm)).accountLocked, tooManyAttempts(reply, locked));
    // Every request looks the account up; the code is made and queued after the answer, which is
    // the same page whether or not an account matched or may receive a code.
    const challenge = newSignInChallenge();
    const user = await accountFor(s, realm, username);
    if (mayReceiveSignInCode(user)) {
      const csrf = csrfToken(s, request, reply, realm.name, { interaction: id });
      const link = emailSignInMode(realm, client) === 'code_and_link'
        ? (token: string) => `${endpointUrl(s.config, realm, uiEndpoints.login_email_link)}?${new URLSearchParams({ token, interaction: id, csrf })}`
        : undefined;
      const locale = realmView(s, request, realm).locale;
      afterAnswer(request, reply, 'email_code', () => sendSignInCode(s, realm, user, { challenge, link, locale, ip: request.ip }));
    }
    return show(challenge);
  });

  route(app, uiEndpoints.login_email_code_verify, async (request, reply) => {
    const { realm, id, params, client, authorization } = await parked(s, request);
    const username = (params.username ?? '').trim().slice(0, maxUsernameLength);
    const challenge = params.challenge ?? '';
    const view = realmView(s, request, realm);
    const show = codePageFor(s, request, reply, realm, id, username);
    const attempt = attemptOf(request, realm, username);
    const locked = await currentLock(s, attempt);
    if (locked) return show(challenge, getMessages(view).accountLocked, tooManyAttempts(reply, locked));
    const user = await signInByCode(s, realm, challenge, params.code ?? '');
    if (!user) {
      countLoginFailure();
      const named = await accountFor(s, realm, username);
      await recordEvent(s, { realm, type: 'login_failure', userId: named?.id, clientId: client.clientId, ip: request.ip, details: { username, reason: 'invalid_code' } });
      const lock = await recordFailure(s, attempt, named);
      return lock ? show(challenge, getMessages(view).accountLocked, tooManyAttempts(reply, lock)) : show(challenge, getEmailMessages(view).emailCodeInvalid, 401);
    }
    return firstFactorGiven(s, request, reply, { realm, client, authorization, id, attempt: attemptOf(request, realm, user.username), user, amr: emailSignInAmr });
  });

  route(app, uiEndpoints.login_email_link, {
    /** The link's page: a button (a mail scanner fetching the link does not use it up), in the browser that asked only. */
    GET: async (request, reply) => {
      const realm = request.realm!;
      const query = request.query as Record<string, unknown>;
      const field = (name: string) => (typeof query[name] === 'string' ? query[name] as string : '');
      const [token, interaction, csrf] = [field('token'), field('interaction'), field('csrf')];
      const t = getEmailMessages(realmView(s, request, realm));
      const parkedRequest = interaction === '' ? undefined : await s.store.interactions.get(interaction, s.clock.now());
      const action = token === '' ? undefined : await s.store.emailActions.find(realm.name, 'sign_in', token, s.clock.now());
      const user = action && await s.store.users.findById(action.userId);
      const client = parkedRequest && await s.store.clients.get(realm.name, parkedRequest.clientId);
      if (!emailSignInOffered(s, realm, client)) throw notFound();
      if (!parkedRequest || parkedRequest.realm !== realm.name || !action || !user) return notice(s, request, reply, realm, t.linkInvalidTitle, t.linkInvalidText, 410);
      if (!csrfValid(s, request, realm.name, csrf, { interaction })) return notice(s, request, reply, realm, t.emailLinkTitle, t.emailLinkOtherBrowser, 403);
      return sendPage(reply, emailLinkPage({
        realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.login_email_link),
        fields: { token, interaction, csrf }, username: user.username,
      }));
    },
    POST: async (request, reply) => {
      const { realm, id, params, client, authorization } = await parked(s, request);
      const user = await signInByLink(s, realm, params.token ?? '');
      if (!user) {
        const t = getEmailMessages(realmView(s, request, realm));
        return notice(s, request, reply, realm, t.linkInvalidTitle, t.linkInvalidText, 410);
      }
      const attempt = attemptOf(request, realm, user.username);
      const locked = await currentLock(s, attempt);
      if (locked) {
        tooManyAttempts(reply, locked);
        throw new PageError('Account locked', getMessages(realmView(s, request, realm)).accountLocked, 429);
      }
      return firstFactorGiven(s, request, reply, { realm, client, authorization, id, attempt, user, amr: emailSignInAmr });
    },
  });
}

/** The parked browser sign-in a form continues, for a client that signs in by e-mail (its own setting or the realm's). */
async function parked(s: EmailSignInPageDeps, request: FastifyRequest) {
  const realm = request.realm!;
  const resumed = await resume(s, request, realm);
  if (!emailSignInOffered(s, realm, resumed.client)) throw notFound();
  // A device's sign-in page (RFC 8628) offers no e-mail code: it continues on another screen.
  if (isDeviceAuthorization(resumed.authorization)) throw notFound();
  return { realm, ...resumed, authorization: resumed.authorization };
}

const notFound = () => new PageError('Not found', 'This page does not exist.', 404);

const attemptOf = (request: FastifyRequest, realm: Realm, username: string): SignInAttempt => ({ realm, username, ip: request.ip, log: request.log });

function codePageFor(s: EmailSignInPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, interaction: string, username: string) {
  return (challenge: string, error?: string, status = 200) => sendPage(reply, emailCodePage({
    realm: realmView(s, request, realm), minutes: Math.round(realm.settings.email_sign_in_lifetime / 60), error,
    forms: {
      verifyAction: endpointUrl(s.config, realm, uiEndpoints.login_email_code_verify), resendAction: endpointUrl(s.config, realm, uiEndpoints.login_email_code),
      csrf: csrfToken(s, request, reply, realm.name, { interaction }), interaction, challenge, username,
    },
  }), status);
}

function notice(s: EmailSignInPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, title: string, text: string, status: number): FastifyReply {
  return sendPage(reply, noticePage({ realm: realmView(s, request, realm), title, text }), status);
}
