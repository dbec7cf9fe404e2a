// Refresh token grant (RFC 6749 §6) with rotation on every use; a reused, already rotated token
// revokes the whole grant (RFC 9700 §4.14.2).
import { OAuthError } from '../../http/errors.js';
import type { Needs } from '../../services.js';
import { narrowedResources } from '../../tokens/resources.js';
import { recordEvent } from '../../security/audit.js';
import { parseScope } from '../../tokens/scopes.js';
import { signedRefreshToken } from '../../tokens/mint.js';
import { minting, nextRefreshToken, tokensForUser, type GrantDeps, type GrantType } from './grant.js';

/** What this grant uses (services.ts `Needs`). */
export type RefreshTokenGrantDeps = Needs<'audit' | 'log', 'grants' | 'refreshTokens' | 'users'> & GrantDeps;

export const refreshToken: GrantType<RefreshTokenGrantDeps> = {
  type: 'refresh_token',
  async handle(ctx) {
    const { s, client, params, now } = ctx;
    const value = params.refresh_token;
    if (value === undefined) throw new OAuthError('invalid_request', 'refresh_token is required');
    const token = await s.store.refreshTokens.find(value);
    const grant = token && await s.store.grants.get(token.grantId);
    if (!token || !grant || grant.realm !== ctx.realm.name || grant.clientId !== client.clientId) {
      throw new OAuthError('invalid_grant', 'refresh token is invalid');
    }
    // RFC 9449 §5: checked before the token is used up, so a thief without the key cannot burn it.
    if (!token.used && token.dpopJkt !== null && token.dpopJkt !== ctx.dpop?.jkt) {
      throw new OAuthError('invalid_grant', 'the refresh token is bound to a DPoP key: send a proof made with that key');
    }
    const reused = async () => {
      await s.store.grants.revoke(grant.id, now);
      s.log.warn({ realm: ctx.realm.name, clientId: client.clientId, event: 'refresh_token_reused' }, 'refresh token reused: grant revoked');
      await recordEvent(s, {
        realm: ctx.realm, type: 'refresh_reuse_detected', userId: grant.userId, clientId: client.clientId, ip: ctx.origin.ip,
        sessionId: grant.sessionId, details: { grant_id: grant.id, grant_revoked: true },
      });
      return new OAuthError('invalid_grant', 'refresh token was already used');
    };
    if (token.used) throw await reused();
    // Checked before the token is used up: a refused request leaves it as it was.
    // A grant made by a token exchange also ends with the grant it was exchanged from.
    const parentEnded = grant.parentId !== null && !(await s.store.grants.isActive(grant.parentId, now));
    if (token.expiresAt <= now || grant.revoked || grant.expiresAt <= now || parentEnded) throw new OAuthError('invalid_grant', 'refresh token has expired or been revoked');
    const granted = grant.scope.split(' ');
    const requested = parseScope(params.scope);
    const extra = requested.filter((scope) => !granted.includes(scope));
    if (extra.length > 0) throw new OAuthError('invalid_scope', `scope exceeds what was granted: ${extra.join(' ')}`);
    const audience = narrowedResources(ctx.realm, client, params, grant.resources);
    const user = grant.userId === null ? undefined : await s.store.users.findById(grant.userId);
    if (!user || !user.enabled) throw new OAuthError('invalid_grant', 'the user is disabled');
    // Rotation (RFC 9700 §4.14.2): the presented token is used up and its successor stored in one commit.
    const next = nextRefreshToken(ctx, grant);
    const successor = await signedRefreshToken(minting(ctx), grant, next.expiresAt);
    if (!(await s.store.refreshTokens.rotate(value, { token: successor, grantId: grant.id, ...next }, now))) throw await reused();   // another request used it a moment ago
    return tokensForUser(ctx, grant, user, requested.length > 0 ? requested : granted, 'refresh', audience, successor);
  },
};
