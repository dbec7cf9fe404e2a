// Passkey forms: a passkey as the second factor, passwordless sign-in with a discoverable passkey
// from the sign-in page (its challenge made only when its button is pressed), and registering a passkey on the account page. The pages' script fills
// the `credential` field with the browser's WebAuthn response and posts the form.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { endpointUrl, route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { acrFor, enrolledFactors, requiredAcr, withFactor } from '../identity/mfa.js';
import { startSession, stepUp } from '../identity/sso.js';
import { authenticate, authenticationOptions, challengeKey, register } from '../identity/webauthn.js';
import { resumeAuthorization, signInView } from '../authorization/completion.js';
import { sendAnswer } from '../http/page-view.js';
import { sha256 } from '../runtime.js';
import { recordEvent } from '../security/audit.js';
import { currentLock, recordFailure, recordSuccess, type SignInAttempt } from '../security/brute-force.js';
import type { Needs } from '../services.js';
import { browserRequest, isDeviceAuthorization } from './device-verification.js';
import { uiEndpoints } from './endpoints.js';
import { proceedSignedIn, resume } from './login-actions.js';
import { accountForm, mayChangeFactors, retryAfter, sendAccountPage, signedInRecently } from './account-page.js';
import { boundSession, type MfaActionsDeps } from './mfa-actions.js';
import { showSecondFactor } from './second-factor.js';
import { userAgentSummary } from '../security/devices.js';

/** What this module uses (services.ts `Needs`). */
export type PasskeyActionsDeps = Needs<'audit' | 'config', 'interactions'> & MfaActionsDeps;

/** Runs a passkey form's WebAuthn ceremony with @simplewebauthn/browser, then posts the form. */
export const passkeyScript = `// Strix passkey buttons (WebAuthn): the options are the form's data-webauthn-options, or are
// fetched from its data-webauthn-options-url (posting the form's fields) when the button is pressed.
function passkeyOptions(form) {
  var url = form.getAttribute('data-webauthn-options-url');
  if (!url) return Promise.resolve(JSON.parse(form.getAttribute('data-webauthn-options')));
  return fetch(url, { method: 'POST', body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' }).then(function (response) {
    if (!response.ok) throw new Error('passkey options refused');
    return response.json();
  });
}
document.querySelectorAll('form.webauthn-form').forEach(function (form) {
  var button = form.querySelector('.webauthn-start');
  button.addEventListener('click', function () {
    var register = form.getAttribute('data-webauthn-ceremony') === 'register';
    button.disabled = true;
    passkeyOptions(form).then(function (optionsJSON) {
      return register ? SimpleWebAuthnBrowser.startRegistration({ optionsJSON: optionsJSON }) : SimpleWebAuthnBrowser.startAuthentication({ optionsJSON: optionsJSON });
    })
      .then(function (credential) {
        form.querySelector('input[name="credential"]').value = JSON.stringify(credential);
        form.submit();
      }, function () { button.disabled = false; });
  });
});
`;

/** @simplewebauthn/browser's UMD bundle (it defines the SimpleWebAuthnBrowser global), served from Strix itself. */
function browserLibrary(): string {
  const main = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(main), '..', 'dist', 'bundle', 'index.umd.min.js'), 'utf8');
}

export function passkeyActionRoutes(app: FastifyInstance, s: PasskeyActionsDeps): void {
  const library = browserLibrary();
  const script = (body: string) => async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(body);
  route(app, uiEndpoints.webauthn_library, script(library));
  route(app, uiEndpoints.passkey_script, script(passkeyScript));

  route(app, uiEndpoints.login_passkey, async (request, reply) => {
    const realm = request.realm!;
    const { id, params, interaction, client, authorization, t } = await resume(s, request, realm);
    const active = await boundSession(s, request, realm, interaction.sessionId);
    const again = async (error: string, status: number) => showSecondFactor(
      s, request, reply, realm, browserRequest(authorization)?.uiLocales, active, id,
      await requiredAcr(s, realm, client, browserRequest(authorization), active.user), error, status);
    const attempt: SignInAttempt = { realm, username: active.user.username, ip: request.ip, log: request.log };
    const locked = await currentLock(s, attempt);
    if (locked) return again(t.accountLocked, retryAfter(reply, locked.retryAfter));
    const result = await authenticate(s, realm, challengeKey.interaction(sha256(id)), params.credential ?? '', active.user);
    if (!result) {
      await recordEvent(s, { realm, type: 'mfa_failure', userId: active.user.id, clientId: client.clientId, ip: request.ip, sessionId: active.session.id, details: { method: 'passkey' } });
      const lock = await recordFailure(s, attempt, active.user);
      return lock ? again(t.accountLocked, retryAfter(reply, lock.retryAfter)) : again(t.passkeyFailed, 401);
    }
    await recordSuccess(s, attempt);
    const session = await stepUp(s, reply, realm, active.session, result.amr);
    return proceedSignedIn(s, request, reply, realm, client, authorization, id, { session, user: active.user });
  });

  // The challenge for a passwordless sign-in, made when its button is pressed: most sign-in pages are
  // never used for a passkey, and each challenge is a row (one per interaction, replaced on a new press).
  route(app, uiEndpoints.login_passkey_options, async (request, reply) => {
    const realm = request.realm!;
    const { id, authorization } = await resume(s, request, realm);
    if (isDeviceAuthorization(authorization)) throw new PageError('Invalid request', 'Sign in with your password to answer a device.');
    const options = await authenticationOptions(s, challengeKey.interaction(sha256(id)));
    return reply.header('cache-control', 'no-store').send(options);
  });

  route(app, uiEndpoints.login_passkey_sign_in, async (request, reply) => {
    const realm = request.realm!;
    const { id, params, client, authorization, t } = await resume(s, request, realm);
    // The device verification page offers no passkey button; its sign-in is the password form.
    if (isDeviceAuthorization(authorization)) throw new PageError('Invalid request', 'Sign in with your password to answer a device.');
    const result = await authenticate(s, realm, challengeKey.interaction(sha256(id)), params.credential ?? '');
    if (!result) {
      request.log.info({ realm: realm.name, event: 'login_failed', method: 'passkey', ip: request.ip }, 'passkey sign-in failed');
      return reply.page(signInView(realm, client, authorization, id, { error: t.passkeyFailed }), 401);
    }
    const amr = withFactor([], result.amr);
    const session = await startSession(s, request, reply, realm, result.user, amr, acrFor(amr));
    await s.store.interactions.attachSession(id, session.id);
    await recordEvent(s, {
      realm, type: 'login_success', userId: result.user.id, clientId: client.clientId, ip: request.ip, sessionId: session.id,
      details: { username: result.user.username, method: 'passkey' },
    });
    request.log.info({ realm: realm.name, event: 'login', method: 'passkey', userId: result.user.id }, 'signed in with a passkey');
    return sendAnswer(reply, await resumeAuthorization(s, realm, client, authorization, { id, signedIn: { session, user: result.user } }));
  });

  route(app, uiEndpoints.account_passkey, async (request, reply) => {
    const realm = request.realm!;
    const { active, params, t } = accountForm(s, request, realm);
    const factors = await enrolledFactors(s, active.user);
    if (!mayChangeFactors(factors, active)) return reply.redirect(endpointUrl(s.config, realm, uiEndpoints.account_mfa), 303);
    if (!signedInRecently(s, realm, active)) return sendAccountPage(s, request, reply, realm, active, undefined, 403, t.reauthenticationRequired);
    const registered = await register(s, active.user, challengeKey.session(active.session.id), params.credential ?? '', userAgentSummary(request.headers['user-agent']));
    if (registered) {
      await recordEvent(s, { realm, type: 'mfa_enrolled', userId: active.user.id, ip: request.ip, sessionId: active.session.id, details: { method: 'passkey' } });
      request.log.info({ realm: realm.name, event: 'mfa_enrolled', method: 'passkey', userId: active.user.id }, 'passkey registered');
    }
    return sendAccountPage(s, request, reply, realm, active, registered ? t.passkeyRegistered : t.passkeyFailed, registered ? 200 : 400);
  });
}

