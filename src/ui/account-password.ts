// The account console's Password (docs/account.md): a new password for the current one (counted by
// brute-force protection like any sign-in, so a stolen session cannot take the account over), under
// the realm's password policy, whose reasons the page repeats; the other sessions are signed out
// unless the user unticks it. A passkey-only account sets its first password after a recent sign-in.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { getAccountMessages } from '../i18n/account-messages.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { format } from '../i18n/messages.js';
import { verifyPassword } from '../identity/passwords.js';
import type { ActiveSession } from '../identity/sso.js';
import { recordEvent } from '../security/audit.js';
import { currentLock, recordFailure, recordSuccess, type BruteForceDeps, type SignInAttempt } from '../security/brute-force.js';
import { changePassword, PasswordPolicyError, type PasswordPolicyDeps } from '../security/password-policy.js';
import { queueMail, type QueueServices } from '../mail/outbox.js';
import { passwordChangedMail } from '../mail/templates.js';
import { mailEnabled } from '../mail/transport.js';
import type { Realm } from '../store/realms.js';
import { accountForm, accountNav, accountSession, retryAfter, signedInRecently, type AccountPageDeps } from './account-page.js';
import { passwordPage } from './account-pages.js';
import { signOutOtherSessions, type AccountSessionsDeps } from './account-sessions.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type AccountPasswordDeps = AccountPageDeps & BruteForceDeps & PasswordPolicyDeps & AccountSessionsDeps & QueueServices;

export function accountPasswordRoutes(app: FastifyInstance, s: AccountPasswordDeps): void {
  route(app, uiEndpoints.account_password, {
    GET: async (request, reply) => show(s, request, reply, request.realm!, accountSession(request)),
    POST: async (request, reply) => {
      const realm = request.realm!;
      const { active, params, t } = accountForm(s, request, realm);
      const view = realmView(s, request, realm);
      const [ta, te] = [getAccountMessages(view), getEmailMessages(view)];
      const again = (error: string, status: number) => show(s, request, reply, realm, active, { error }, status);
      const user = active.user;
      const attempt: SignInAttempt = { realm, username: user.username, ip: request.ip, log: request.log };
      if (user.passwordHash) {
        const locked = await currentLock(s, attempt);
        if (locked) return again(t.accountLocked, retryAfter(reply, locked.retryAfter));
        if (!(await verifyPassword(user.passwordHash, params.current_password ?? ''))) {
          await recordEvent(s, { realm, type: 'login_failure', userId: user.id, ip: request.ip, details: { username: user.username, reason: 'bad_password' } });
          const lock = await recordFailure(s, attempt, user);
          return lock ? again(t.accountLocked, retryAfter(reply, lock.retryAfter)) : again(ta.passwordWrongCurrent, 401);
        }
        await recordSuccess(s, attempt);
      } else if (!signedInRecently(s, realm, active)) {
        return again(t.reauthenticationRequired, 403);
      }
      const password = params.password ?? '';
      if (password !== (params.password_confirm ?? '')) return again(te.resetMismatch, 400);
      try {
        await changePassword(s, realm, user, password);
      } catch (error) {
        if (error instanceof PasswordPolicyError) return again(format(te.resetPolicy, { problems: error.problems.join('; ') }), 400);
        throw error;
      }
      const signOutOthers = params.sign_out_others === 'yes';
      await recordEvent(s, { realm, type: 'password_changed', userId: user.id, ip: request.ip, sessionId: active.session.id, details: { other_sessions_signed_out: signOutOthers } });
      request.log.info({ realm: realm.name, event: 'password_changed', userId: user.id }, 'password changed on the account console');
      if (signOutOthers) await signOutOtherSessions(s, request, realm, active);
      if (user.email && mailEnabled(s.config, realm)) {
        await queueMail(s, realm, 'password_changed', passwordChangedMail({ to: user.email, realmName: realm.displayName, username: user.username, locale: view.locale }));
      }
      const fresh = (await s.store.users.findById(user.id)) ?? user;
      return show(s, request, reply, realm, { ...active, user: fresh }, { notice: signOutOthers ? ta.passwordChangedOthersOut : ta.passwordChanged });
    },
  });
}

function show(
  s: AccountPasswordDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession,
  o: { notice?: string; error?: string } = {}, status = 200,
): FastifyReply {
  return sendPage(reply, passwordPage({
    realm: realmView(s, request, realm), nav: accountNav(s, request, realm, active, 'password'),
    action: endpointUrl(s.config, realm, uiEndpoints.account_password), csrf: csrfToken(s, request, reply, realm.name, { session: active.session.id }),
    username: active.user.username, hasPassword: active.user.passwordHash !== null, minLength: realm.settings.password_policy.min_length, ...o,
  }), status);
}
