// The page of execute-actions-email's link (docs/email.md "Required actions"; the domain is
// src/identity/execute-actions.ts). GET asks to continue, so a mail scanner fetching the link does
// not use it up; `Continue` uses the link and seals what is left to do into this browser, and each
// action's page (the same pages as at sign-in) posts back here until all are done. Nobody is signed in.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clearRealmCookie, cookieScope, csrfToken, openSealedCookie, setRealmCookie } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import type { Params } from '../http/params.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { format, getMessages, messages } from '../i18n/messages.js';
import {
  finishAction, flowLifetimeMs, nextFlowAction, openActionsLink, pendingActionsLink, runningFlow, type ActionsFlow, type ExecuteActionsDeps, type LinkAction,
} from '../identity/execute-actions.js';
import { confirmTotp, currentTotpEnrolment } from '../identity/mfa.js';
import { acceptTerms, profileClaims, saveProfile } from '../identity/required-actions.js';
import { changePassword, PasswordPolicyError, type PasswordPolicyDeps } from '../security/password-policy.js';
import type { Needs } from '../services.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';
import { executeActionsPage, noticePage, updatePasswordPage } from './email-pages.js';
import { mailRealm, postedForm, type EmailFormsDeps } from './email-forms.js';
import { uiEndpoints } from './endpoints.js';
import { recoveryCodesPage, totpSetupPage } from './mfa-pages.js';
import { realmView, sendPage } from './render.js';
import { termsActionPage, updateProfileActionPage } from './required-action-pages.js';

/** What this module uses (services.ts `Needs`). */
export type ExecuteActionsPageDeps = ExecuteActionsDeps & EmailFormsDeps & PasswordPolicyDeps & Needs<never, 'clients'>;

const flowCookie = 'strix_actions';
/** The authenticator-app secret set up through a link is keyed by the link, not by a session (there is none). */
const enrolmentKey = (flow: ActionsFlow) => `execute_actions:${flow.id}`;

export function executeActionsRoutes(app: FastifyInstance, s: ExecuteActionsPageDeps): void {
  route(app, uiEndpoints.login_action_token, {
    GET: async (request, reply) => {
      const realm = mailRealm(s, request);
      const key = (request.query as Record<string, unknown>).key;
      const pending = typeof key === 'string' ? await pendingActionsLink(s, realm, key) : undefined;
      if (!pending) return linkInvalid(s, request, reply, realm);
      return sendPage(reply, executeActionsPage({
        realm: realmView(s, request, realm), action: endpointUrl(s.config, realm, uiEndpoints.login_action_token),
        fields: { csrf: csrfToken(s, request, reply, realm.name, 'browser'), key: key as string, step: 'start' },
        username: pending.user.username, actions: pending.actions,
      }));
    },
    POST: async (request, reply) => {
      const realm = mailRealm(s, request);
      const params = postedForm(s, request, realm);
      const page = new ActionPages(s, request, reply, realm);
      if (params.step === 'start') {
        const flow = await openActionsLink(s, realm, params.key ?? '', request.ip);
        const user = flow && await s.store.users.findById(flow.userId);
        return flow && user ? page.next(flow, user) : linkInvalid(s, request, reply, realm);
      }
      const running = await runningFlow(s, realm, openSealedCookie<ActionsFlow>(s.sealer, request.cookies[flowCookie], 'execute_actions'));
      if (!running) return linkInvalid(s, request, reply, realm);
      const { flow, user } = running;
      const action = await nextFlowAction(s, realm, flow, user);
      // A form answers the action pending now, never another one it names (a page shown twice, a back button).
      if (action === undefined || params.step !== action) return page.next(flow, user);
      return page.answer(flow, user, action, params);
    },
  });
}

/** The pages of one request in a running flow. */
class ActionPages {
  private readonly view;
  constructor(private readonly s: ExecuteActionsPageDeps, private readonly request: FastifyRequest, private readonly reply: FastifyReply, private readonly realm: Realm) {
    this.view = realmView(s, request, realm);
  }

  /** The form of `action`'s page: back here, with this browser's CSRF token. */
  private form(action: LinkAction | 'continue') {
    return {
      action: endpointUrl(this.s.config, this.realm, uiEndpoints.login_action_token),
      fields: { csrf: csrfToken(this.s, this.request, this.reply, this.realm.name, 'browser'), step: action },
    };
  }

  /** Keeps `flow` in this browser and shows what comes next: an action's page, or the end. */
  async next(flow: ActionsFlow, user: User, o: { error?: string; values?: Record<string, string> } = {}, status = o.error ? 400 : 200): Promise<FastifyReply> {
    const { s, realm } = this;
    const action = await nextFlowAction(s, realm, flow, user);
    if (action === undefined) return this.finish(flow);
    this.keep(flow);
    const form = this.form(action);
    switch (action) {
      case 'update_password':
        return sendPage(this.reply, updatePasswordPage({
          realm: this.view, ...form, username: user.username, text: getEmailMessages(this.view).actionsPasswordText, error: o.error,
        }), status);
      case 'update_profile': {
        const claims = user.claims as Record<string, unknown>;
        const fields = profileClaims(realm);
        const values = o.values ?? Object.fromEntries(fields.map((claim) => [claim, typeof claims[claim] === 'string' ? claims[claim] : '']));
        return sendPage(this.reply, updateProfileActionPage({ realm: this.view, form, fields, values, error: o.error }), status);
      }
      case 'configure_totp': {
        const enrolment = await currentTotpEnrolment(s, realm, user, enrolmentKey(flow));
        return sendPage(this.reply, totpSetupPage({
          realm: this.view, action: form.action, csrf: form.fields.csrf, fields: { step: action }, secret: enrolment.secret, qrSvg: enrolment.qrSvg, error: o.error,
        }), status);
      }
      case 'terms_and_conditions':
        return sendPage(this.reply, termsActionPage({ realm: this.view, form, termsUrl: realm.settings.terms_url ?? '' }), status);
    }
  }

  /** The flow as it stands, sealed into this browser's cookie. */
  private keep(flow: ActionsFlow): void {
    setRealmCookie(this.reply, cookieScope(this.s.config.publicUrl, this.realm.name), flowCookie, this.s.sealer.seal(JSON.stringify(flow)), flowLifetimeMs / 1000);
  }

  /** Runs the answer to `action`'s page, then goes on. */
  async answer(flow: ActionsFlow, user: User, action: LinkAction, params: Params): Promise<FastifyReply> {
    const { s, realm, request } = this;
    const remaining = { ...flow, actions: flow.actions.filter((a) => a !== action) };
    const done = async () => {
      await finishAction(s, realm, user, action, request.ip);
      return this.next(remaining, (await s.store.users.findById(user.id))!);
    };
    switch (action) {
      case 'update_password': {
        const t = getEmailMessages(this.view);
        const password = params.password ?? '';
        if (password !== (params.password_confirm ?? '')) return this.next(flow, user, { error: t.resetMismatch });
        try {
          await changePassword(s, realm, user, password);
        } catch (error) {
          if (error instanceof PasswordPolicyError) return this.next(flow, user, { error: format(t.resetPolicy, { problems: error.problems.join('; ') }) });
          throw error;
        }
        return done();
      }
      case 'update_profile': {
        const { saved, values } = await saveProfile(s, realm, user, params, Object.keys(messages));
        return saved ? done() : this.next(flow, user, { values, error: getEmailMessages(this.view).fieldRequired });
      }
      case 'configure_totp': {
        const codes = await confirmTotp(s, realm, user, enrolmentKey(flow), (params.code ?? '').replace(/\s+/g, ''));
        if (!codes) return this.next(flow, user, { error: getMessages(this.view).invalidCode });
        await finishAction(s, realm, user, action, request.ip);
        this.keep(remaining);
        return sendPage(this.reply, recoveryCodesPage({ realm: this.view, codes, next: this.form('continue') }));
      }
      case 'terms_and_conditions': {
        if (params.decision === 'accept') {
          await acceptTerms(s, realm, user);
          return done();
        }
        // Declined: the action stays for the next sign-in, and the link's other actions end here.
        clearRealmCookie(this.reply, cookieScope(s.config.publicUrl, realm.name), flowCookie);
        const t = getEmailMessages(this.view);
        return sendPage(this.reply, noticePage({ realm: this.view, title: t.actionsDeclinedTitle, text: t.actionsDeclinedText }));
      }
    }
  }

  /**
   * All done: the flow ends, and the browser goes to the redirect URI the administrator gave, if its
   * client still lists it, or is told so.
   */
  private async finish(flow: ActionsFlow): Promise<FastifyReply> {
    const { s, realm } = this;
    clearRealmCookie(this.reply, cookieScope(s.config.publicUrl, realm.name), flowCookie);
    const client = flow.clientId === undefined ? undefined : await s.store.clients.get(realm.name, flow.clientId);
    if (flow.redirectUri !== undefined && client?.enabled && client.metadata.redirect_uris.includes(flow.redirectUri)) {
      return this.reply.redirect(flow.redirectUri, 303);
    }
    const t = getEmailMessages(this.view);
    return sendPage(this.reply, noticePage({ realm: this.view, title: t.actionsDoneTitle, text: t.actionsDoneText }));
  }
}

/** An expired, used or unknown link (or a flow that ended): a page that says so, never an error page. */
function linkInvalid(s: ExecuteActionsPageDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm): FastifyReply {
  const t = getEmailMessages(realmView(s, request, realm));
  return sendPage(reply, noticePage({ realm: realmView(s, request, realm), title: t.linkInvalidTitle, text: t.linkInvalidText }), 410);
}
