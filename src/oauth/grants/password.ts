// Resource owner password credentials grant (RFC 6749 §4.3): off unless a client lists `password`
// in its grant_types. RFC 9700 §2.4 says it MUST NOT be used; it exists for migrations and for
// clients that cannot open a browser. It passes through the same brute-force protection as the
// sign-in form, and creates no SSO session.
import { OAuthError } from '../../http/errors.js';
import type { Needs } from '../../services.js';
import { verificationTime, verifyPassword } from '../../identity/passwords.js';
import { failureReason, recordEvent } from '../../security/audit.js';
import { enrolledFactors, mfaRequired, type MfaDeps } from '../../identity/mfa.js';
import { currentLock, recordFailure, recordSuccess, type BruteForceDeps } from '../../security/brute-force.js';
import { upgradeHash, type PasswordPolicyDeps } from '../../security/password-policy.js';
import { countLoginFailure } from '../../ops/metrics.js';
import { requestedResources } from '../../tokens/resources.js';
import { clientScopes, grantableScope, parseScope } from '../../tokens/scopes.js';
import { grantExpiry } from '../../tokens/mint.js';
import { tokensForUser, type GrantDeps, type GrantType } from './grant.js';

/** What this grant uses (services.ts `Needs`). */
export type PasswordGrantDeps = Needs<'audit', 'grants' | 'users'> & MfaDeps & BruteForceDeps & PasswordPolicyDeps & GrantDeps;

export const password: GrantType<PasswordGrantDeps> = {
  type: 'password',
  async handle(ctx) {
    const { s, realm, client, params, now } = ctx;
    const username = params.username?.trim();
    if (!username || params.password === undefined) throw new OAuthError('invalid_request', 'username and password are required');
    const requested = parseScope(params.scope);
    const scope = requested.length > 0 ? grantableScope(client, requested) : [...clientScopes(client)].filter((v) => v !== 'offline_access');
    const resources = requestedResources(realm, client, params);
    const attempt = { realm, username, ip: ctx.origin.ip, log: ctx.origin.log };
    if (await currentLock(s, attempt)) {
      await verificationTime();   // no hash is spent, yet a lock answers no faster than a wrong password
      await recordEvent(s, { realm, type: 'login_failure', clientId: client.clientId, ip: ctx.origin.ip, details: { username, reason: 'locked', grant_type: 'password' } });
      throw new OAuthError('invalid_grant', 'too many failed sign-ins: try again later');
    }
    const user = await s.store.users.findByUsername(realm.name, username);
    const valid = await verifyPassword(user?.passwordHash ?? null, params.password);
    if (!user || !valid || !user.enabled) {
      await recordEvent(s, {
        realm, type: 'login_failure', userId: user?.id, clientId: client.clientId, ip: ctx.origin.ip,
        details: { username, reason: failureReason(user, valid), grant_type: 'password' },
      });
      await recordFailure(s, attempt, user);
      countLoginFailure();
      ctx.origin.log.info({ realm: realm.name, clientId: client.clientId, event: 'login_failed', grantType: 'password' }, 'password grant refused');
      throw new OAuthError('invalid_grant', 'invalid username or password');
    }
    // The grant has no place for a second factor: users who have one, or must, sign in through the browser.
    const factors = await enrolledFactors(s, user);
    if (factors.totp || factors.passkeys > 0 || mfaRequired(realm, client, user)) {
      throw new OAuthError('invalid_grant', 'this user signs in with a second factor, which the password grant cannot carry');
    }
    // Keycloak's "account is not fully set up": a temporary password must be replaced on the sign-in page first.
    if (user.requiredActions.length > 0) throw new OAuthError('invalid_grant', 'the user must first sign in through the browser to complete a required action');
    await recordSuccess(s, attempt);
    await upgradeHash(s, realm, user, params.password);
    await recordEvent(s, { realm, type: 'login_success', userId: user.id, clientId: client.clientId, ip: ctx.origin.ip, details: { username: user.username, method: 'pwd', grant_type: 'password' } });
    const offline = scope.includes('offline_access');
    const grant = await s.store.grants.create({
      realm: realm.name, clientId: client.clientId, userId: user.id, sessionId: null, scope: scope.join(' '),
      authTime: now, amr: ['pwd'], acr: '1', nonce: null, claims: null, offline, expiresAt: grantExpiry(realm, client, offline, now), resources,
    }, now);
    return tokensForUser(ctx, grant, user, scope, 'authorization', resources);
  },
};
