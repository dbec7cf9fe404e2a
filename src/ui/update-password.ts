// The required action update_password (Keycloak's name): after signing in with a temporary password
// an administrator set, the user chooses their own on this page, and the sign-in goes on.
import type { FastifyInstance } from 'fastify';
import { route } from '../http/endpoint.js';
import { PageError } from '../http/errors.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { format } from '../i18n/messages.js';
import { currentSession } from '../identity/sso.js';
import { changePassword, PasswordPolicyError } from '../security/password-policy.js';
import { isDeviceAuthorization } from './device-verification.js';
import { uiEndpoints } from './endpoints.js';
import { proceedSignedIn, resume, type LoginActionsDeps } from './login-actions.js';
import { realmView } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type UpdatePasswordDeps = LoginActionsDeps;

export function updatePasswordRoutes(app: FastifyInstance, s: UpdatePasswordDeps): void {
  route(app, uiEndpoints.login_update_password, async (request, reply) => {
    const realm = request.realm!;
    const { id, params, interaction, client, authorization } = await resume(s, request, realm);
    const active = await currentSession(s, request, realm);
    if (!active || active.session.id !== interaction.sessionId || isDeviceAuthorization(authorization)) {
      throw new PageError('Session changed', 'You are no longer signed in as the user this request was for. Go back to the application and try again.');
    }
    const t = getEmailMessages(realmView(s, request, realm));
    const again = (error: string) => reply.page({ page: 'update_password', realm, interaction: id, active, uiLocales: authorization.uiLocales, error }, 400);
    const password = params.password ?? '';
    if (password !== (params.password_confirm ?? '')) return again(t.resetMismatch);
    try {
      await changePassword(s, realm, active.user, password);
    } catch (error) {
      if (error instanceof PasswordPolicyError) return again(format(t.resetPolicy, { problems: error.problems.join('; ') }));
      throw error;
    }
    await s.store.users.setRequiredActions(active.user.id, active.user.requiredActions.filter((action) => action !== 'update_password'), s.clock.now());
    request.log.info({ realm: realm.name, event: 'required_action', action: 'update_password', userId: active.user.id }, 'temporary password replaced');
    const user = (await s.store.users.findById(active.user.id))!;
    return proceedSignedIn(s, request, reply, realm, client, authorization, id, { session: active.session, user });
  });
}
