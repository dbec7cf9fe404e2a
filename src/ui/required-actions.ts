// The forms of the required actions verify_email, update_profile and terms_and_conditions (docs/email.md
// "Required actions"): each continues the parked sign-in once its action is done. update_password
// has its own page (src/ui/update-password.ts); configure_totp is the second-factor enrolment.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { endpointUrl, route } from '../http/endpoint.js';
import { OAuthError, PageError } from '../http/errors.js';
import { sendAnswer } from '../http/page-view.js';
import type { RequiredActionView } from '../http/page-view.js';
import { getActionMessages } from '../i18n/action-messages.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { sendVerification, verifyByCode, type VerificationServices } from '../identity/email-verification.js';
import { acceptTerms, completeRequiredAction, pendingRequiredAction, saveProfile, type RequiredActionsDeps } from '../identity/required-actions.js';
import { messages } from '../i18n/messages.js';
import { currentSession } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import { errorResponse } from '../authorization/completion.js';
import { isDeviceAuthorization } from './device-verification.js';
import { uiEndpoints } from './endpoints.js';
import { proceedSignedIn, resume, type LoginActionsDeps } from './login-actions.js';
import { realmView, sendPage } from './render.js';
import type { RealmView } from './layout.js';
import { requiredActionPage } from './required-action-views.js';

/** What this module uses (services.ts `Needs`). */
export type RequiredActionPageDeps = LoginActionsDeps & RequiredActionsDeps & VerificationServices;

export function requiredActionRoutes(app: FastifyInstance, s: RequiredActionPageDeps): void {
  route(app, uiEndpoints.login_required_action, async (request, reply) => {
    const realm = request.realm!;
    const { id, params, interaction, client, authorization } = await resume(s, request, realm);
    const active = await currentSession(s, request, realm);
    if (!active || active.session.id !== interaction.sessionId || isDeviceAuthorization(authorization)) {
      throw new PageError('Session changed', 'You are no longer signed in as the user this request was for. Go back to the application and try again.');
    }
    // The form answers the action the user has now, never another one named in the form.
    const action = await pendingRequiredAction(s, realm, active.user);
    if (action !== params.action || (action !== 'verify_email' && action !== 'update_profile' && action !== 'terms_and_conditions')) {
      return proceedSignedIn(s, request, reply, realm, client, authorization, id, active);
    }
    const view: RequiredActionView = { page: 'required_action', action, realm, interaction: id, active, uiLocales: authorization.uiLocales };
    const show = (o: Parameters<typeof requiredActionPage>[4] & { error?: string } = {}, status = 200) =>
      sendPage(reply, requiredActionPage(s, request, reply, { ...view, error: o.error }, o), status);
    const done = async () => {
      await completeRequiredAction(s, active.user, action);
      await recordEvent(s, { realm, type: 'required_action_completed', userId: active.user.id, clientId: client.clientId, ip: request.ip, sessionId: active.session.id, details: { action } });
      const user = (await s.store.users.findById(active.user.id))!;
      return proceedSignedIn(s, request, reply, realm, client, authorization, id, { session: active.session, user });
    };
    const ta = getActionMessages(pageOf(s, request, view));

    switch (action) {
      case 'verify_email': {
        const user = active.user as typeof active.user & { email: string };
        if (params.step === 'send') {
          const link = (token: string) => `${endpointUrl(s.config, realm, uiEndpoints.login_verify_email)}?token=${encodeURIComponent(token)}`;
          const verification = await sendVerification(s, realm, user, { link, locale: pageOf(s, request, view).locale });
          return show({ sent: { verification } });
        }
        if (params.step === 'code') {
          const verified = await verifyByCode(s, realm, params.verification ?? '', params.code ?? '', request.ip);
          if (verified?.id === user.id) return done();
          return show({ sent: { verification: params.verification ?? '' }, error: getEmailMessages(pageOf(s, request, view)).codeInvalid }, 400);
        }
        // "I followed the link": the address is verified now, or the page says not yet.
        const fresh = (await s.store.users.findById(user.id))!;
        if (fresh.claims.email_verified === true) return proceedSignedIn(s, request, reply, realm, client, authorization, id, { session: active.session, user: fresh });
        return show({ sent: { verification: params.verification ?? '' }, error: ta.verifyNotYet }, 400);
      }
      case 'update_profile': {
        const { saved, values } = await saveProfile(s, realm, active.user, params, Object.keys(messages));
        if (!saved) return show({ values, error: getEmailMessages(pageOf(s, request, view)).fieldRequired }, 400);
        return done();
      }
      case 'terms_and_conditions': {
        if (params.decision === 'accept') {
          await acceptTerms(s, realm, active.user);
          return done();
        }
        // Declined: nothing is issued; the client hears access_denied (RFC 6749 §4.1.2.1).
        await s.store.interactions.finish(id);
        return sendAnswer(reply, errorResponse(s, realm, authorization, new OAuthError('access_denied', 'the user declined the terms of service'), 303));
      }
    }
  });
}

function pageOf(s: RequiredActionPageDeps, request: FastifyRequest, view: RequiredActionView): RealmView {
  return realmView(s, request, view.realm, view.uiLocales);
}

