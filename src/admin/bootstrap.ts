// First start: an empty database gets the `master` realm and an `admin` account whose generated
// password is printed once (or taken from STRIX_ADMIN_PASSWORD), and the admin console's client.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../identity/passwords.js';
import { assertAcceptable } from '../security/password-policy.js';
import { newId } from '../runtime.js';
import type { Needs } from '../services.js';
import type { ClientMetadata } from '../store/clients.js';
import { defaultRealmSettings } from '../store/realms.js';
import { adminConsoleClientId, adminRealm } from './api-access.js';

/** What this module uses (services.ts `Needs`). */
export type BootstrapDeps = Needs<'clock' | 'config' | 'keystore', 'clients' | 'realms' | 'roles' | 'users'>;

export async function bootstrap(s: BootstrapDeps, announce: (line: string) => void): Promise<void> {
  const now = s.clock.now();
  // Checked before anything is created: a refused password must not leave a master realm without an admin.
  if (s.config.adminPassword !== undefined && !(await s.store.realms.get('master'))) {
    await assertAcceptable(defaultRealmSettings.password_policy, s.config.adminPassword, { username: 'admin' });
  }
  const created = await s.store.realms.upsertIfMissing({ name: 'master', displayName: 'Strix', settings: defaultRealmSettings }, now);
  await s.keystore.ensure('master');
  await ensureAdminConsoleClient(s, adminRealm, now);
  if (!created) return;
  const password = s.config.adminPassword ?? randomBytes(18).toString('base64url');
  await s.store.roles.ensure('master', ['admin']);
  const id = newId();
  await s.store.users.create({ id, realm: 'master', username: 'admin', email: null, passwordHash: await hashPassword(password), claims: {}, enabled: true }, now);
  await s.store.users.setRoles(id, ['admin']);
  if (s.config.adminPassword === undefined) {
    announce(`Created the master realm and the admin account.\n\n    username: admin\n    password: ${password}\n\nThis password is shown only once. Change it with: strix users set-password --realm master admin`);
  } else {
    announce('Created the master realm and the admin account with the password from STRIX_ADMIN_PASSWORD.');
  }
}

/** Where a realm's admin console is served: the master realm's at /admin/, another's at Keycloak's /admin/{realm}/console/. */
export function adminConsoleUrl(config: Needs<'config'>['config'], realm: string): string {
  return realm === adminRealm ? `${config.publicUrl}/admin/` : `${config.publicUrl}/admin/${encodeURIComponent(realm)}/console/`;
}

/**
 * The admin console signs administrators in with the code flow and PKCE as a public client of the
 * realm they administer; its tokens are the only user tokens the admin API accepts (api-access.ts).
 * Created when missing (the master realm's at first start, another realm's when its console is first
 * opened) and otherwise left as an administrator may have changed it.
 */
export async function ensureAdminConsoleClient(s: Needs<'config', 'clients'>, realm: string, now: number): Promise<void> {
  if (await s.store.clients.get(realm, adminConsoleClientId)) return;
  const consoleUrl = adminConsoleUrl(s.config, realm);
  const metadata: ClientMetadata = {
    client_id: adminConsoleClientId, client_name: 'Strix admin console',
    redirect_uris: [consoleUrl], post_logout_redirect_uris: [consoleUrl],
    grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    token_endpoint_auth_method: 'none', scope: 'openid profile email', require_consent: false,
  };
  await s.store.clients.upsert(realm, metadata, null, now);
}
