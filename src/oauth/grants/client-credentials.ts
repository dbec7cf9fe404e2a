// Client credentials grant (RFC 6749 §4.4): a confidential client acting on its own behalf.
// No refresh token, no ID token, and nothing written per token; `resource` (RFC 8707) sets the audience.
import { OAuthError } from '../../http/errors.js';
import { mintTokens } from '../../tokens/mint.js';
import { requestedResources } from '../../tokens/resources.js';
import { clientScopes, grantableScope, parseScope, userScopes } from '../../tokens/scopes.js';
import { minting, tokenType, type GrantDeps, type GrantType } from './grant.js';

/** What this grant uses (services.ts `Needs`). */
export type ClientCredentialsGrantDeps = GrantDeps;

export const clientCredentials: GrantType<ClientCredentialsGrantDeps> = {
  type: 'client_credentials',
  async handle(ctx) {
    const { realm, client, params, dpop } = ctx;
    if (!client.confidential) throw new OAuthError('unauthorized_client', 'public clients cannot use client_credentials');
    const requested = parseScope(params.scope);
    const forUsers = requested.filter((scope) => userScopes.has(scope));
    if (forUsers.length > 0) throw new OAuthError('invalid_scope', `scope needs a user: ${forUsers.join(' ')}`);
    const scope = requested.length > 0
      ? grantableScope(client, requested)
      : [...clientScopes(client)].filter((value) => !userScopes.has(value));
    const audience = requestedResources(realm, client, params);
    // No user: only fixed and audience mappers apply (src/tokens/mappers.ts).
    const { accessToken, expiresIn } = await mintTokens(minting(ctx), { grantType: 'client_credentials', refusal: 'invalid_grant', user: undefined, scope }, {
      accessToken: { audience, dpopJkt: dpop?.jkt },
    });
    return { access_token: accessToken!, token_type: tokenType({ dpop }), expires_in: expiresIn!, scope: scope.join(' ') };
  },
};
