// The sign-up page (docs/email.md): on where the realm has `user_registration` and sends mail.
// The answer to a sign-up is the "check your e-mail" page, whether the address was new or not.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import type { Params } from '../http/params.js';
import { format } from '../i18n/messages.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { isEmailAddress } from '../identity/email-verification.js';
import { checkRegistration, createRegisteredUser, type Registration, type RegistrationServices } from '../identity/registration.js';
import { sendVerification } from '../identity/email-verification.js';
import { afterAnswer } from '../http/after-answer.js';
import { queueMail, type QueueServices } from '../mail/outbox.js';
import { alreadyRegisteredMail, mailContext } from '../mail/templates.js';
import { mailEnabled } from '../mail/transport.js';
import { randomToken } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { registrationPage, type RegistrationForm } from './email-pages.js';
import { mailRealm, postedForm } from './email-forms.js';
import { showCheckEmail, type EmailVerificationPageDeps } from './email-verification.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type RegistrationPageDeps = EmailVerificationPageDeps & RegistrationServices & QueueServices;

const usernamePattern = /^[A-Za-z0-9._@+-]{1,64}$/;

/** Whether the sign-in page offers a sign-up link. */
export function registrationOpen(s: Needs<'config'>, realm: Realm): boolean {
  return realm.settings.user_registration && mailEnabled(s.config, realm);
}

function registrationRealm(s: RegistrationPageDeps, request: FastifyRequest): Realm {
  const realm = mailRealm(s, request);
  if (!realm.settings.user_registration) throw new PageError('Not found', 'This page does not exist.', 404);
  return realm;
}

function show(s: RegistrationPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, values: RegistrationForm, error?: string): FastifyReply {
  return sendPage(reply, registrationPage({
    realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.login_registration),
    csrf: csrfToken(s, request, reply, realm.name, 'browser'), emailAsUsername: realm.settings.email_as_username,
    fields: realm.settings.registration_fields, values, error, termsUrl: realm.settings.terms_url ?? undefined,
  }), error ? 400 : 200);
}

/** The form's values, or what is wrong with them (in the page's words). */
function readForm(realm: Realm, params: Params, t: ReturnType<typeof getEmailMessages>): { values: RegistrationForm; registration?: Registration; error?: string } {
  const email = (params.email ?? '').trim().slice(0, 254);
  const username = realm.settings.email_as_username ? email : (params.username ?? '').trim().slice(0, 64);
  const fields: Record<string, string> = {};
  for (const claim of realm.settings.registration_fields) fields[claim] = (params[claim] ?? '').trim().slice(0, 200);
  const values = { username, email, fields };
  if (!realm.settings.email_as_username && !usernamePattern.test(username)) return { values, error: t.invalidUsername };
  if (!isEmailAddress(email)) return { values, error: t.invalidEmail };
  if (Object.values(fields).some((value) => value === '')) return { values, error: t.fieldRequired };
  if ((params.password ?? '') !== (params.password_confirm ?? '')) return { values, error: t.resetMismatch };
  if (realm.settings.terms_url && params.terms !== 'accept') return { values, error: t.termsRequired };
  return { values, registration: { username, email, password: params.password ?? '', claims: fields, ...(realm.settings.terms_url ? { termsAccepted: realm.settings.terms_url } : {}) } };
}

export function registrationRoutes(app: FastifyInstance, s: RegistrationPageDeps): void {
  route(app, uiEndpoints.login_registration, {
    GET: async (request, reply) => show(s, request, reply, registrationRealm(s, request), { fields: {} }),
    POST: async (request, reply) => {
      const realm = registrationRealm(s, request);
      const params = postedForm(s, request, realm);
      const view = realmView(s, request, realm);
      const t = getEmailMessages(view);
      const form = readForm(realm, params, t);
      if (!form.registration) return show(s, request, reply, realm, form.values, form.error);
      const registration = form.registration;
      const outcome = await checkRegistration(s, realm, registration);
      // A new address and a taken one get the same page, with a code form naming a verification id;
      // the writes (the account and its verification, or the message to the owner) follow the answer.
      const verification = randomToken(16);
      switch (outcome.kind) {
        case 'refused': return show(s, request, reply, realm, form.values, format(t.resetPolicy, { problems: outcome.problems.join('; ') }));
        case 'username_taken': return show(s, request, reply, realm, form.values, t.usernameTaken);
        case 'new':
          afterAnswer(request, reply, 'registration', async () => {
            const user = await createRegisteredUser(s, realm, registration, outcome.passwordHash, request.ip);
            if (!user) return;
            const link = (token: string) => `${endpointUrl(s.config, realm, uiEndpoints.login_verify_email)}?token=${encodeURIComponent(token)}`;
            await sendVerification(s, realm, user, { link, locale: view.locale, id: verification });
          });
          break;
        case 'email_taken': {
          const { owner } = outcome;
          // Its code form's id names nothing, so no code works there.
          afterAnswer(request, reply, 'registration', () => queueMail(s, realm, 'already_registered', alreadyRegisteredMail(mailContext(s, realm, owner, view.locale))));
          break;
        }
      }
      return showCheckEmail(s, request, reply, realm, { verification, email: registration.email });
    },
  });
}
