// First start: an empty database gets the `master` realm and an `admin` account whose generated
// password is printed once (or taken from STRIX_ADMIN_PASSWORD).
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../identity/passwords.js';
import { assertAcceptable } from '../security/password-policy.js';
import { newId } from '../runtime.js';
import type { Services } from '../services.js';
import { defaultRealmSettings } from '../store/realms.js';

export async function bootstrap(s: Pick<Services, 'store' | 'keystore' | 'clock' | 'config'>, announce: (line: string) => void): Promise<void> {
  const now = s.clock.now();
  // Checked before anything is created: a refused password must not leave a master realm without an admin.
  if (s.config.adminPassword !== undefined && !(await s.store.realms.get('master'))) {
    await assertAcceptable(defaultRealmSettings.password_policy, s.config.adminPassword, { username: 'admin' });
  }
  const created = await s.store.realms.upsertIfMissing({ name: 'master', displayName: 'Strix', settings: defaultRealmSettings }, now);
  await s.keystore.ensure('master');
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
