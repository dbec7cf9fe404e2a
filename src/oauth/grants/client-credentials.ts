// Client credentials grant (RFC 6749 §4.4): a confidential client acting on its own behalf.
// No refresh token, no ID token, and nothing written per token; `resource` (RFC 8707) sets the audience.
import { OAuthError } from '../../http/errors.js';
import { customClaims } from '../../tokens/custom-claims.js';
import { signAccessToken } from '../../tokens/issue.js';
import { requestedResources } from '../../tokens/resources.js';
import { clientScopes, grantableScope, parseScope, userScopes } from '../../tokens/scopes.js';
import { tokenType, type GrantType } from './grant.js';

export const clientCredentials: GrantType = {
  type: 'client_credentials',
  async handle({ s, realm, issuer, client, params, now, dpop }) {
    if (!client.confidential) throw new OAuthError('unauthorized_client', 'public clients cannot use client_credentials');
    const requested = parseScope(params.scope);
    const forUsers = requested.filter((scope) => userScopes.has(scope));
    if (forUsers.length > 0) throw new OAuthError('invalid_scope', `scope needs a user: ${forUsers.join(' ')}`);
    const scope = requested.length > 0
      ? grantableScope(client, requested)
      : [...clientScopes(client)].filter((value) => !userScopes.has(value));
    const audience = requestedResources(realm, client, params);
    // No user: only fixed and audience mappers apply (src/tokens/mappers.ts).
    const custom = await customClaims(s, { realm, client, user: undefined, scope, grantType: 'client_credentials', idToken: undefined }, 'invalid_grant');
    const { accessToken, expiresIn } = await signAccessToken({ issuer, realm, keystore: s.keystore, now }, {
      client, scope: scope.join(' '), audience, subject: client.clientId, dpopJkt: dpop?.jkt,
      customClaims: custom.accessToken, extraAudiences: custom.audiences,
    });
    return { access_token: accessToken, token_type: tokenType({ dpop }), expires_in: expiresIn, scope: scope.join(' ') };
  },
};
