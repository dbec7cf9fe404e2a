// What the app is built from (configuration, store, keys, clock, logger), and `Needs<>`, with which
// each route and domain module names the part of it that module uses.
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Outbound } from './http/outbound.js';
import type { AuditLog } from './security/audit.js';
import type { Clock } from './runtime.js';
import type { Store } from './store/index.js';
import type { Realm } from './store/realms.js';
import type { Keystore } from './tokens/keystore.js';
import type { Sealer } from './tokens/master-key.js';

export interface Services {
  config: Config;
  store: Store;
  keystore: Keystore;
  sealer: Sealer;
  clock: Clock;
  log: Logger;
  audit: AuditLog;
  /** Every HTTP request Strix makes goes through it (address guard, timeouts, size caps). */
  outbound: Outbound;
}

/**
 * The services a module uses, and of the store only the repositories it touches (fosite's storage
 * interfaces per handler): `Needs<'config' | 'clock', 'clients' | 'grants'>`. Callers pass the whole
 * `Services`, which has every part; the compiler refuses a use the module did not declare. A module
 * that calls another's functions composes that module's type: `Needs<…> & SsoDeps`.
 */
export type Needs<K extends Exclude<keyof Services, 'store'> = never, R extends keyof Store = never> =
  Pick<Services, K> & ([R] extends [never] ? unknown : { store: Pick<Store, R> });

/** The issuer of a realm: `{STRIX_PUBLIC_URL}/realms/{realm}`, no trailing slash (DESIGN contract). */
export function issuerOf(config: Config, realm: Realm | string): string {
  return `${config.publicUrl}/realms/${encodeURIComponent(typeof realm === 'string' ? realm : realm.name)}`;
}
