// Keycloak's identity providers as Strix's `identity_providers` (docs/identity-providers.md): its
// generic OpenID Connect providers (`oidc`, `keycloak-oidc`) by their issuer, Google, GitHub and
// GitLab by Strix's presets, Microsoft by the entra preset. The export never holds a usable client
// secret: each provider names an environment variable to set. Each is checked like a realm file's; one Strix cannot use is left
// out with the reason, the rest imported.
import type { JsonObject } from '../../json.js';
import { parseIdentityProviders } from '../../realms/identity-providers.js';
import { ValidationError } from '../../validation.js';
import { list, object, optionalObject, text } from './read.js';
import type { ImportReport } from './report.js';

const presets: Record<string, string> = { google: 'google', github: 'github', gitlab: 'gitlab' };

export function keycloakIdentityProviders(kc: JsonObject, where: string, report: ImportReport): JsonObject[] {
  const out: JsonObject[] = [];
  for (const [i, raw] of list(kc.identityProviders, `${where}.identityProviders`).entries()) {
    const at = `${where}.identityProviders[${i}]`;
    const idp = object(raw, at);
    const alias = text(idp.alias, `${at}.alias`, 64) ?? `#${i}`;
    const kind = text(idp.providerId, `${at}.providerId`, 64) ?? '';
    const config = (optionalObject(idp.config, `${at}.config`) ?? {}) as Record<string, unknown>;
    if (idp.enabled === false) { report.leftOut(`identity provider ${alias}`, 'disabled in Keycloak'); continue; }
    const env = `STRIX_IDP_${alias.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SECRET`;
    const candidate: JsonObject = {
      alias: alias.toLowerCase(), display_name: text(idp.displayName, `${at}.displayName`, 200) ?? alias,
      client_id: typeof config.clientId === 'string' ? config.clientId : '', client_secret: { env },
      trust_email: idp.trustEmail === true, hide_on_login_page: idp.hideOnLogin === true || config.hideOnLoginPage === 'true',
      sync: config.syncMode === 'FORCE' ? 'on_every_login' : 'on_first_login',
    };
    if (kind === 'oidc' || kind === 'keycloak-oidc') {
      if (typeof config.issuer !== 'string') { report.leftOut(`identity provider ${alias}`, 'no issuer in its config: Strix reads a provider\'s endpoints from its discovery document'); continue; }
      Object.assign(candidate, { type: 'oidc', issuer: config.issuer });
      if (typeof config.defaultScope === 'string' && config.defaultScope.split(' ').includes('openid')) candidate.scopes = config.defaultScope;
      if (config.clientAuthMethod === 'client_secret_post') candidate.token_endpoint_auth_method = 'client_secret_post';
      else if (config.clientAuthMethod === 'private_key_jwt') {
        // Signed with the realm's key, as Keycloak does; the provider must now read Strix's realm JWKS instead of Keycloak's.
        candidate.token_endpoint_auth_method = 'private_key_jwt';
        delete candidate.client_secret;
        report.approximate(`identity provider ${alias} client authentication`, 'private_key_jwt: register the Strix realm\'s JWKS ({issuer}/protocol/openid-connect/certs) with the provider in place of Keycloak\'s');
      } else if (config.clientAuthMethod !== undefined && config.clientAuthMethod !== 'client_secret_basic') {
        report.approximate(`identity provider ${alias} client authentication`, `${String(config.clientAuthMethod)} is not built: client_secret_basic is used`);
      }
    } else if (kind === 'microsoft') {
      // Keycloak's Microsoft provider: its tenant (ID), or common when it names none.
      Object.assign(candidate, { preset: 'entra', tenant: typeof config.tenantId === 'string' && config.tenantId !== '' ? config.tenantId : 'common' });
    } else if (presets[kind]) {
      candidate.preset = presets[kind];
    } else {
      report.leftOut(`identity provider ${alias}`, `Keycloak's ${kind || 'unnamed'} provider type is not built in Strix (OpenID Connect, Google, GitHub, GitLab and Microsoft are)`);
      continue;
    }
    try {
      parseIdentityProviders([candidate], at);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      report.leftOut(`identity provider ${alias}`, error.message);
      continue;
    }
    out.push(candidate);
    report.imported(`identity provider ${alias}`, candidate.client_secret ? `set ${env} to its client secret (exports do not hold it)` : 'signs its client assertions with the realm\'s key');
  }
  const mappers = list(kc.identityProviderMappers, `${where}.identityProviderMappers`).length;
  if (mappers > 0) report.leftOut(`identity provider mappers (${mappers})`, 'describe them as the providers\' claim_mappers');
  return out;
}
