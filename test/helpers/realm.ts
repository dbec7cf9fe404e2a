// The realm the tests import: one client of each kind and two users.
export const password = 'correct horse battery staple';

export function testRealm(redirectBase = 'http://127.0.0.1:3999') {
  return {
    realms: [{
      name: 'demo',
      display_name: 'Demo',
      roles: ['admin', 'viewer'],
      scopes: [{ name: 'api:read', description: 'Read your documents' }],
      clients: [
        {
          client_id: 'web', client_secret: 'web-secret', client_name: 'Demo web app',
          redirect_uris: [`${redirectBase}/callback`], post_logout_redirect_uris: [`${redirectBase}/`],
          grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_basic',
          scope: 'openid profile email address phone roles offline_access api:read', require_consent: true,
        },
        {
          client_id: 'trusted', client_secret: 'trusted-secret', client_name: 'First-party app',
          redirect_uris: [`${redirectBase}/callback`], post_logout_redirect_uris: [`${redirectBase}/`],
          grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'client_secret_post',
          scope: 'openid profile email roles offline_access', require_consent: false,
        },
        {
          client_id: 'spa', client_name: 'Single-page app', redirect_uris: ['http://127.0.0.1:5173/callback'],
          post_logout_redirect_uris: ['http://127.0.0.1:5173/'], grant_types: ['authorization_code', 'refresh_token'],
          token_endpoint_auth_method: 'none', scope: 'openid profile email', allowed_origins: ['https://spa.example.com'],
        },
        {
          client_id: 'service', client_secret: 'service-secret', grant_types: ['client_credentials'],
          scope: 'api:read api:write',
        },
      ],
      users: [
        {
          username: 'alice', password, email: 'alice@example.com', email_verified: true, given_name: 'Alice',
          family_name: 'Liddell', name: 'Alice Liddell', phone_number: '+44 20 7946 0000',
          address: { locality: 'Oxford', country: 'GB' }, roles: ['admin'],
        },
        { username: 'bob', password, email: 'bob@example.com', given_name: 'Bob', roles: ['viewer'] },
      ],
    }],
  };
}

/**
 * The test realm with more clients and users after its own, and realm settings (brute_force,
 * rate_limits, mfa, ...) on top; `redirectBase` as for testRealm.
 */
export function testRealmWith(extra: { clients?: object[]; users?: object[]; [setting: string]: unknown }, redirectBase?: string) {
  const { clients = [], users = [], ...settings } = extra;
  const demo = testRealm(redirectBase).realms[0]!;
  return { realms: [{ ...demo, ...settings, clients: [...demo.clients, ...clients], users: [...demo.users, ...users] }] };
}

/** Every response type of the implicit and hybrid flows, with `code`. */
export const allResponseTypes = ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token'];

/** A confidential client allowed every response type (the implicit, hybrid and form_post tests). */
export function hybridClient(redirectUri: string) {
  return {
    client_id: 'hybrid', client_secret: 'hybrid-secret', client_name: 'Hybrid app', redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'implicit', 'refresh_token'], response_types: allResponseTypes,
    token_endpoint_auth_method: 'client_secret_basic', scope: 'openid profile email offline_access', require_consent: false,
  };
}
