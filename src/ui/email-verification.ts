// E-mail verification pages (docs/email.md): the link's page (a button that confirms), the code
// form for when the link opens on another device, and the page a sign-in gets when the realm wants
// a verified address first.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { confirmable, sendVerification, verifyByCode, verifyByLink, type VerificationServices } from '../identity/email-verification.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { checkEmailPage, confirmEmailPage, noticePage } from './email-pages.js';
import { mailRealm, postedForm, type EmailFormsDeps } from './email-forms.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type EmailVerificationPageDeps = EmailFormsDeps & VerificationServices;

/** Sends the verification message and shows the page that says so, with the code form. */
export async function sendAndShowVerification(
  s: EmailVerificationPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, user: User & { email: string }, o: { intro?: string; status?: number } = {},
): Promise<FastifyReply> {
  const view = realmView(s, request, realm);
  const link = (token: string) => `${endpointUrl(s.config, realm, uiEndpoints.login_verify_email)}?token=${encodeURIComponent(token)}`;
  const verification = await sendVerification(s, realm, user, { link, locale: view.locale });
  return showCheckEmail(s, request, reply, realm, { verification, email: user.email, intro: o.intro }, o.status);
}

/** The "check your e-mail" page; `verification` names the code's link (a random value where there is none). */
export function showCheckEmail(
  s: EmailVerificationPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, p: { verification: string; email: string; intro?: string; error?: string }, status = 200,
): FastifyReply {
  return sendPage(reply, checkEmailPage({
    realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.login_verify_email_code),
    csrf: csrfToken(s, request, reply, realm.name, 'browser'), ...p,
  }), status);
}

export function emailVerificationRoutes(app: FastifyInstance, s: EmailVerificationPageDeps): void {
  route(app, uiEndpoints.login_verify_email, {
    GET: async (request, reply) => {
      const realm = mailRealm(s, request);
      const token = (request.query as Record<string, unknown>).token;
      const action = typeof token === 'string' && token !== '' ? await s.store.emailActions.find(realm.name, confirmable, token, s.clock.now()) : undefined;
      const user = action && await s.store.users.findById(action.userId);
      if (!action || !user) return linkInvalid(s, request, reply, realm);
      return sendPage(reply, confirmEmailPage({
        realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.login_verify_email),
        csrf: csrfToken(s, request, reply, realm.name, 'browser'), token: token as string, email: action.email, username: user.username,
      }));
    },
    POST: async (request, reply) => {
      const realm = mailRealm(s, request);
      const params = postedForm(s, request, realm);
      const user = await verifyByLink(s, realm, params.token ?? '', request.ip);
      return user ? verifiedPage(s, request, reply, realm) : linkInvalid(s, request, reply, realm);
    },
  });

  route(app, uiEndpoints.login_verify_email_code, async (request, reply) => {
    const realm = mailRealm(s, request);
    const params = postedForm(s, request, realm);
    const verification = params.verification ?? '';
    const user = await verifyByCode(s, realm, verification, params.code ?? '', request.ip);
    if (user) return verifiedPage(s, request, reply, realm);
    const t = getEmailMessages(realmView(s, request, realm));
    // The address is only shown back to whoever typed it: the form carries it.
    return showCheckEmail(s, request, reply, realm, { verification, email: (params.email ?? '').slice(0, 254), error: t.codeInvalid }, 400);
  });
}

function verifiedPage(s: EmailVerificationPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm): FastifyReply {
  const t = getEmailMessages(realmView(s, request, realm));
  return sendPage(reply, noticePage({ realm: realmView(s, request, realm), title: t.verifiedTitle, text: t.verifiedText }));
}

function linkInvalid(s: EmailVerificationPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm): FastifyReply {
  const t = getEmailMessages(realmView(s, request, realm));
  return sendPage(reply, noticePage({ realm: realmView(s, request, realm), title: t.linkInvalidTitle, text: t.linkInvalidText }), 410);
}
