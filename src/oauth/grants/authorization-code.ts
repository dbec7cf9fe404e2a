// Authorization code grant (RFC 6749 §4.1.3) with PKCE verification (RFC 7636 §4.6).
// A replayed code revokes the grant and so every token issued from it (RFC 6749 §4.1.2).
import { OAuthError } from '../../http/errors.js';
import type { Needs } from '../../services.js';
import { recordEvent } from '../../security/audit.js';
import type { AuthorizationCode } from '../../store/authorization-codes.js';
import { narrowedResources } from '../../tokens/resources.js';
import { verifyCodeVerifier } from '../../authorization/pkce.js';
import { tokensForUser, type GrantContext, type GrantDeps, type GrantType } from './grant.js';

/** RFC 6749 §4.1.2: a second redemption is refused and the grant, with every token it issued, revoked. */
async function replayed(ctx: GrantContext<AuthorizationCodeGrantDeps>, code: AuthorizationCode): Promise<never> {
  const { s, client, now } = ctx;
  await s.store.grants.revoke(code.grantId, now);
  s.log.warn({ realm: ctx.realm.name, clientId: client.clientId, event: 'code_replayed' }, 'authorization code replayed: grant revoked');
  const grant = await s.store.grants.get(code.grantId);
  await recordEvent(s, {
    realm: ctx.realm, type: 'code_replay_detected', userId: grant?.userId, clientId: client.clientId, ip: ctx.origin.ip,
    sessionId: grant?.sessionId, details: { grant_id: code.grantId, grant_revoked: true },
  });
  throw new OAuthError('invalid_grant', 'authorization code was already used');
}

/** What this grant uses (services.ts `Needs`). */
export type AuthorizationCodeGrantDeps = Needs<'audit' | 'log', 'authorizationCodes' | 'grants' | 'users'> & GrantDeps;

export const authorizationCode: GrantType<AuthorizationCodeGrantDeps> = {
  type: 'authorization_code',
  async handle(ctx) {
    const { s, client, params, now } = ctx;
    const value = params.code;
    if (value === undefined) throw new OAuthError('invalid_request', 'code is required');
    const code = await s.store.authorizationCodes.find(value);
    if (!code || code.realm !== ctx.realm.name || code.clientId !== client.clientId) {
      throw new OAuthError('invalid_grant', 'authorization code is invalid');
    }
    // Every binding (client, DPoP key, redirect_uri, PKCE) is checked before the code is used up or a
    // replay is declared: someone who intercepted the code without them can neither burn it nor, by
    // replaying it, revoke the user's grant. Only a redemption that would have succeeded counts.
    if (code.dpopJkt && code.dpopJkt !== ctx.dpop?.jkt) {
      throw new OAuthError('invalid_grant', 'the code is bound to a DPoP key (dpop_jkt): send a proof made with that key');
    }
    if (code.redirectUri !== null && params.redirect_uri !== code.redirectUri) {
      throw new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
    }
    verifyCodeVerifier(code, params.code_verifier);
    if (code.used) return replayed(ctx, code);
    if (code.expiresAt <= now) throw new OAuthError('invalid_grant', 'authorization code has expired');
    if (!(await s.store.authorizationCodes.markUsed(value, now))) return replayed(ctx, code);
    const grant = await s.store.grants.get(code.grantId);
    if (!grant || grant.revoked || grant.userId === null) throw new OAuthError('invalid_grant', 'authorization has been revoked');
    const user = await s.store.users.findById(grant.userId);
    if (!user || !user.enabled) throw new OAuthError('invalid_grant', 'the user is disabled');
    const audience = narrowedResources(ctx.realm, client, params, grant.resources);
    return tokensForUser(ctx, grant, user, grant.scope.split(' '), 'authorization', audience);
  },
};
