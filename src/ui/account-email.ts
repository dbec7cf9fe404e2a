// The account's e-mail address (docs/email.md): the page shows it and whether it is verified; a new
// address takes the current password (counted by brute-force protection like any sign-in), then a
// link and code go to the new address and a notice to the old one, and the address changes only
// once the new one is confirmed (src/identity/email-verification.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { csrfToken } from '../http/cookies.js';
import { endpointUrl, route } from '../http/endpoint.js';
import { getEmailMessages } from '../i18n/email-messages.js';
import { isEmailAddress, isEmailVerified, sendAddressChange } from '../identity/email-verification.js';
import { verifyPassword } from '../identity/passwords.js';
import type { ActiveSession } from '../identity/sso.js';
import { currentLock, recordFailure, recordSuccess, type BruteForceDeps, type SignInAttempt } from '../security/brute-force.js';
import { recordEvent } from '../security/audit.js';
import type { Realm } from '../store/realms.js';
import { accountForm, accountNav, accountSession, retryAfter, signedInRecently, type AccountPageDeps } from './account-page.js';
import { accountEmailPage } from './email-pages.js';
import { mailRealm } from './email-forms.js';
import { showCheckEmail, type EmailVerificationPageDeps } from './email-verification.js';
import { uiEndpoints } from './endpoints.js';
import { realmView, sendPage } from './render.js';

/** What this module uses (services.ts `Needs`). */
export type AccountEmailDeps = AccountPageDeps & EmailVerificationPageDeps & BruteForceDeps;

export function accountEmailRoutes(app: FastifyInstance, s: AccountEmailDeps): void {
  route(app, uiEndpoints.account_email, {
    GET: async (request, reply) => show(s, request, reply, mailRealm(s, request), accountSession(request)),
    POST: async (request, reply) => {
      const realm = mailRealm(s, request);
      const { active, params, t } = accountForm(s, request, realm);
      const te = getEmailMessages(realmView(s, request, realm));
      const newEmail = (params.email ?? '').trim();
      const again = (error: string, status: number) => show(s, request, reply, realm, active, { error, newEmail }, status);
      if (!isEmailAddress(newEmail)) return again(te.invalidEmail, 400);
      if (newEmail.toLowerCase() === active.user.email?.toLowerCase()) return again(te.accountEmailSame, 400);
      const user = active.user;
      if (user.passwordHash) {
        // Whoever holds the session must also know the password: a stolen session cannot move the
        // account's address (and with it, password resets) elsewhere.
        const attempt: SignInAttempt = { realm, username: user.username, ip: request.ip, log: request.log };
        const locked = await currentLock(s, attempt);
        if (locked) return again(t.accountLocked, retryAfter(reply, locked.retryAfter));
        if (!(await verifyPassword(user.passwordHash, params.password ?? ''))) {
          await recordEvent(s, { realm, type: 'login_failure', userId: user.id, ip: request.ip, details: { username: user.username, reason: 'bad_password' } });
          const lock = await recordFailure(s, attempt, user);
          return lock ? again(t.accountLocked, retryAfter(reply, lock.retryAfter)) : again(t.invalidCredentials, 401);
        }
        await recordSuccess(s, attempt);
      } else if (!signedInRecently(s, realm, active)) {
        // No password to ask for (a passkey-only account): a recent sign-in stands in for it.
        return again(t.reauthenticationRequired, 403);
      }
      const link = (token: string) => `${endpointUrl(s.config, realm, uiEndpoints.login_verify_email)}?token=${encodeURIComponent(token)}`;
      const verification = await sendAddressChange(s, realm, user, newEmail, { link, locale: realmView(s, request, realm).locale, ip: request.ip });
      return showCheckEmail(s, request, reply, realm, { verification, email: newEmail, intro: te.accountEmailSent });
    },
  });
}

function show(
  s: AccountEmailDeps, request: FastifyRequest, reply: FastifyReply, realm: Realm, active: ActiveSession,
  o: { error?: string; newEmail?: string } = {}, status = 200,
): FastifyReply {
  const view = realmView(s, request, realm);
  return sendPage(reply, accountEmailPage({
    realm: view, nav: accountNav(s, request, realm, active, 'email'), email: active.user.email ?? undefined, verified: isEmailVerified(active.user),
    action: endpointUrl(s.config, realm, uiEndpoints.account_email), csrf: csrfToken(s, request, reply, realm.name, { session: active.session.id }),
    askPassword: !!active.user.passwordHash, ...o,
  }), status);
}

