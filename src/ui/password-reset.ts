// The forgotten-password pages (docs/email.md): ask for a link by username or e-mail address, then
// choose a new password with it. Off (404) where the realm has no SMTP server.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { format } from '../i18n/messages.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { accountFor, resetPassword, sendResetLink, type ResetPasswordDeps, type ResetRequestServices } from '../identity/password-reset.js';
import type { Realm } from '../store/realms.js';
import { forgotPasswordPage, noticePage, resetLinkSentPage, resetPasswordPage } from './email-pages.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';
import { mailRealm, postedForm, type EmailFormsDeps } from './email-forms.js';
import { afterAnswer } from '../http/after-answer.js';

/** What this module uses (services.ts `Needs`). */
export type PasswordResetPageDeps = EmailFormsDeps & ResetRequestServices & ResetPasswordDeps;

const minutesOf = (realm: Realm) => Math.round(realm.settings.password_reset_lifetime / 60);

export function passwordResetRoutes(app: FastifyInstance, s: PasswordResetPageDeps): void {
  route(app, uiEndpoints.login_forgot_password, {
    GET: async (request, reply) => {
      const realm = mailRealm(s, request);
      return sendPage(reply, forgotPasswordPage({
        realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.login_forgot_password),
        csrf: csrfToken(s, request, reply, realm.name, 'browser'),
      }));
    },
    POST: async (request, reply) => {
      const realm = mailRealm(s, request);
      const params = postedForm(s, request, realm);
      const view = realmView(s, request, realm);
      // Every request looks the account up; the link is made and queued after the answer, which is
      // the same page whether or not an account matched.
      const user = await accountFor(s, realm, params.identifier ?? '');
      if (user) {
        const link = (token: string) => `${endpointUrl(s.config, realm, uiEndpoints.login_reset_password)}?token=${encodeURIComponent(token)}`;
        afterAnswer(request, reply, 'password_reset_link', () => sendResetLink(s, realm, user, { link, locale: view.locale, ip: request.ip }));
      }
      return sendPage(reply, resetLinkSentPage({ realm: view, minutes: minutesOf(realm) }));
    },
  });

  route(app, uiEndpoints.login_reset_password, {
    GET: async (request, reply) => {
      const realm = mailRealm(s, request);
      const token = (request.query as Record<string, unknown>).token;
      return showResetForm(s, request, reply, realm, typeof token === 'string' ? token : '');
    },
    POST: async (request, reply) => {
      const realm = mailRealm(s, request);
      const params = postedForm(s, request, realm);
      const token = params.token ?? '';
      const t = getEmailMessages(realmView(s, request, realm));
      const password = params.password ?? '';
      if (password !== (params.password_confirm ?? '')) return showResetForm(s, request, reply, realm, token, t.resetMismatch);
      const outcome = await resetPassword(s, realm, token, password, { signOutEverywhere: params.sign_out_everywhere === 'yes', ip: request.ip });
      if (outcome.kind === 'invalid') return linkInvalid(s, request, reply, realm);
      if (outcome.kind === 'refused') return showResetForm(s, request, reply, realm, outcome.token, format(t.resetPolicy, { problems: outcome.problems.join('; ') }));
      request.log.info({ realm: realm.name, event: 'password_reset', userId: outcome.user.id }, 'password reset');
      return sendPage(reply, noticePage({ realm: realmView(s, request, realm), title: t.resetDoneTitle, text: t.resetDoneText }));
    },
  });
}

async function showResetForm(s: PasswordResetPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, token: string, error?: string): Promise<FastifyReply> {
  const action = token === '' ? undefined : await s.store.emailActions.find(realm.name, 'reset_password', token, s.clock.now());
  const user = action && await s.store.users.findById(action.userId);
  if (!user || !user.enabled) return linkInvalid(s, request, reply, realm);
  return sendPage(reply, resetPasswordPage({
    realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.login_reset_password),
    csrf: csrfToken(s, request, reply, realm.name, 'browser'), token, username: user.username, error,
  }), error ? 400 : 200);
}

/** An expired, used or unknown link: a page that says so and what to do, never an error page. */
function linkInvalid(s: PasswordResetPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm): FastifyReply {
  const t = getEmailMessages(realmView(s, request, realm));
  const link = { href: endpointUrl(s.config, realm, uiEndpoints.login_forgot_password), label: t.forgotSubmitAgain };
  return sendPage(reply, noticePage({ realm: realmView(s, request, realm), title: t.linkInvalidTitle, text: t.linkInvalidText, link }), 410);
}
