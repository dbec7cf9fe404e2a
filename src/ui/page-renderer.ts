// The page layer's side of src/http/page-view.ts: renders the page views that protocol code answers
// with, registered as `reply.page` when the app starts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import type { ConsentView, LogoutConfirmView, PageView, SignedOutView, SignInView, UpdatePasswordView } from '../http/page-view.js';
import { endpointUrl } from '../http/endpoint.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import { format, getMessages, type Messages } from '../i18n/messages.js';
import { updatePasswordPage } from './email-pages.js';
import { consentPage, formPostPage, frontchannelLogoutPage, loggedOutPage, loginPage, logoutConfirmPage } from './pages.js';
import { clientBranding, formPostScriptHref, pageRealm, realmView, sendPage, webauthnScriptHrefs } from './render.js';
import { uiEndpoints } from './endpoints.js';
import { showSecondFactor, type SecondFactorDeps } from './second-factor.js';
import { mailEnabled } from '../mail/transport.js';
import { registrationOpen } from './registration.js';
import { emailSignInOffered } from '../identity/email-sign-in.js';
import { requiredActionPage } from './required-action-views.js';

/** What this module uses (services.ts `Needs`). */
export type PageRendererDeps = Needs<'config' | 'sealer'> & SecondFactorDeps;

export function registerPageRenderer(app: FastifyInstance, s: PageRendererDeps): void {
  app.decorateReply('page', function (this: FastifyReply, view: PageView, status?: number) {
    return renderPage(s, this.request, this, view, status);
  });
}

async function renderPage(s: PageRendererDeps, request: FastifyRequest, reply: FastifyReply, view: PageView, status = 200): Promise<FastifyReply> {
  switch (view.page) {
    case 'sign_in': {
      // kc_idp_hint: straight to the provider it names, if the realm has it; the page otherwise.
      const hinted = view.idpHint === undefined ? undefined : view.realm.settings.identity_providers.find((p) => p.alias === view.idpHint);
      if (hinted) return reply.redirect(brokerLoginHref(s, request, reply, view, hinted.alias), 303);
      return sendPage(reply, signInPage(s, request, reply, view), status);
    }
    case 'second_factor':
      return showSecondFactor(s, request, reply, view.realm, view.uiLocales, view.active, view.interaction, view.required, view.error, status);
    case 'consent': return sendPage(reply, consentPageOf(s, request, reply, view), status);
    case 'update_password': return sendPage(reply, updatePasswordPageOf(s, request, reply, view), view.error && status === 200 ? 400 : status);
    case 'required_action': return sendPage(reply, requiredActionPage(s, request, reply, view), status);
    case 'form_post':
      return sendPage(reply, formPostPage({ realm: pageRealm(s, request), scriptHref: formPostScriptHref(s), action: view.action, fields: view.fields }), status);
    case 'logout_confirm': return sendPage(reply, logoutConfirmPageOf(s, request, reply, view), status);
    case 'signed_out': return sendPage(reply, signedOutPage(s, request, reply, view), status);
  }
}

/** Where a sign-in leaves for an upstream provider: carries the parked request and this browser's CSRF token for it. */
function brokerLoginHref(s: PageRendererDeps, request: FastifyRequest, reply: FastifyReply, view: SignInView, alias: string): string {
  const csrf = csrfToken(s, request, reply, view.realm.name, { interaction: view.interaction });
  return `${endpointUrl(s.config, view.realm, uiEndpoints.broker_login, { alias })}?${new URLSearchParams({ interaction: view.interaction, csrf })}`;
}

function signInPage(s: PageRendererDeps, request: FastifyRequest, reply: FastifyReply, view: SignInView): string {
  const { realm, client, interaction } = view;
  const csrf = csrfToken(s, request, reply, realm.name, { interaction });
  const realmPage = realmView(s, request, realm, view.uiLocales);
  return loginPage({
    realm: realmPage,
    action: endpointUrl(s.config, realm, uiEndpoints.login_authenticate),
    csrf,
    interaction,
    clientName: client.metadata.client_name ?? client.clientId,
    branding: clientBranding(reply, client.metadata),
    username: view.username,
    error: view.error,
    passkey: {
      action: endpointUrl(s.config, realm, uiEndpoints.login_passkey_sign_in), ceremony: 'authenticate', label: getMessages(realmPage).usePasskey,
      // The challenge is made when the button is pressed (src/ui/passkey-actions.ts), not for every page shown.
      optionsUrl: endpointUrl(s.config, realm, uiEndpoints.login_passkey_options), fields: { csrf, interaction },
    },
    scriptHrefs: webauthnScriptHrefs(s),
    forgotPasswordHref: mailEnabled(s.config, realm) ? endpointUrl(s.config, realm, uiEndpoints.login_forgot_password) : undefined,
    registerHref: registrationOpen(s, realm) ? endpointUrl(s.config, realm, uiEndpoints.login_registration) : undefined,
    emailCodeAction: emailSignInOffered(s, realm, client) ? endpointUrl(s.config, realm, uiEndpoints.login_email_code) : undefined,
    providers: realm.settings.identity_providers.filter((p) => !p.hide_on_login_page)
      .map((p) => ({ label: p.display_name, href: brokerLoginHref(s, request, reply, view, p.alias) })),
  });
}

function consentPageOf(s: PageRendererDeps, request: FastifyRequest, reply: FastifyReply, view: ConsentView): string {
  const { realm, client, interaction } = view;
  const realmPage = realmView(s, request, realm, view.uiLocales);
  return consentPage({
    realm: realmPage,
    action: endpointUrl(s.config, realm, uiEndpoints.login_consent),
    csrf: csrfToken(s, request, reply, realm.name, { interaction }),
    interaction,
    clientName: client.metadata.client_name ?? client.clientId,
    branding: clientBranding(reply, client.metadata),
    username: view.active.user.username,
    scopes: view.scope.map((name) => ({ name, description: describeScope(realm, name, getMessages(realmPage)) })),
  });
}

function updatePasswordPageOf(s: PageRendererDeps, request: FastifyRequest, reply: FastifyReply, view: UpdatePasswordView): string {
  const { realm, interaction } = view;
  return updatePasswordPage({
    realm: realmView(s, request, realm, view.uiLocales),
    action: endpointUrl(s.config, realm, uiEndpoints.login_update_password),
    fields: { csrf: csrfToken(s, request, reply, realm.name, { interaction }), interaction },
    username: view.active.user.username,
    error: view.error,
  });
}

export function describeScope(realm: Realm, scope: string, t: Messages): string {
  const builtIn = (t as Record<string, string>)[`scope_${scope}`];
  if (builtIn) return format(builtIn, { realm: realm.displayName });
  return realm.settings.scopes.find((d) => d.name === scope)?.description ?? scope;
}

function logoutConfirmPageOf(s: PageRendererDeps, request: FastifyRequest, reply: FastifyReply, view: LogoutConfirmView): string {
  return logoutConfirmPage({
    realm: realmView(s, request, view.realm, view.uiLocales),
    action: view.action,
    csrf: csrfToken(s, request, reply, view.realm.name, { session: view.session }),
    fields: view.fields,
    clientName: view.clientName,
  });
}

function signedOutPage(s: PageRendererDeps, request: FastifyRequest, reply: FastifyReply, view: SignedOutView): string {
  const realmPage = realmView(s, request, view.realm, view.uiLocales);
  if (view.frames.length === 0) return loggedOutPage({ realm: realmPage });
  // The page's CSP must let exactly these clients' pages load in its iframes.
  const origins = [...new Set(view.frames.map((frame) => new URL(frame).origin))].join(' ');
  reply.header('content-security-policy', `${reply.getHeader('content-security-policy')}; frame-src ${origins}`);
  return frontchannelLogoutPage({ realm: realmPage, frames: view.frames, next: view.next });
}
