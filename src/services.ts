// What every route and domain module is handed: configuration, store, keys, clock, logger.
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

/** The issuer of a realm: `{STRIX_PUBLIC_URL}/realms/{realm}`, no trailing slash (DESIGN contract). */
export function issuerOf(config: Config, realm: Realm | string): string {
  return `${config.publicUrl}/realms/${encodeURIComponent(typeof realm === 'string' ? realm : realm.name)}`;
}
