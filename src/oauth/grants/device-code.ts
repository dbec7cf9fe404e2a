// Device access token request (RFC 8628 §3.4, §3.5): the device polls with its device code until
// the user has answered. authorization_pending while waiting, slow_down when polling faster than
// the interval (which then grows by 5 s), access_denied, expired_token; tokens exactly once.
import { deviceCodeGrantType } from '../../clients/grant-types.js';
import type { Needs } from '../../services.js';
import { OAuthError } from '../../http/errors.js';
import { tokensForUser, type GrantDeps, type GrantType } from './grant.js';

/** What this grant uses (services.ts `Needs`). */
export type DeviceCodeGrantDeps = Needs<never, 'deviceCodes' | 'grants' | 'users'> & GrantDeps;

export const deviceCode: GrantType<DeviceCodeGrantDeps> = {
  type: deviceCodeGrantType,
  async handle(ctx) {
    const { s, client, params, now } = ctx;
    const value = params.device_code;
    if (value === undefined) throw new OAuthError('invalid_request', 'device_code is required');
    const code = await s.store.deviceCodes.findByDeviceCode(value);
    // A code of another client is as unknown as a made-up one (§3.4: bound to the client it was issued to).
    if (!code || code.realm !== ctx.realm.name || code.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'device code is invalid');
    if (code.status === 'used') throw new OAuthError('invalid_grant', 'device code was already used');
    if (code.expiresAt <= now) throw new OAuthError('expired_token', 'device code has expired: start again');
    if (code.status === 'denied') throw new OAuthError('access_denied', 'the user denied the request');
    const poll = await s.store.deviceCodes.poll(value, now);
    if (poll.outcome === 'too_fast') throw new OAuthError('slow_down', `polling too fast: wait ${poll.interval} seconds between requests`);
    if (code.status === 'pending') throw new OAuthError('authorization_pending', 'the user has not answered yet');
    if (!(await s.store.deviceCodes.markUsed(value))) throw new OAuthError('invalid_grant', 'device code was already used');
    const grant = code.grantId === null ? undefined : await s.store.grants.get(code.grantId);
    if (!grant || grant.revoked || grant.userId === null) throw new OAuthError('invalid_grant', 'authorization has been revoked');
    const user = await s.store.users.findById(grant.userId);
    if (!user || !user.enabled) throw new OAuthError('invalid_grant', 'the user is disabled');
    return tokensForUser(ctx, grant, user, grant.scope.split(' '), 'authorization');
  },
};
