// Device authorizations (RFC 8628 §3.2): the device code (256-bit random) and the user code are
// stored only as hashes. A code moves pending → approved | denied when the user answers on the
// verification page, and approved → used exactly once when the device collects its tokens.
import type { Kysely } from 'kysely';
import { sha256 } from '../runtime.js';
import type { Database } from './schema.js';

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied' | 'used';

export interface DeviceCode {
  realm: string;
  clientId: string;
  scope: string;
  status: DeviceCodeStatus;
  /** The grant made when the user allowed the device; set once approved. */
  grantId: string | null;
  /** Seconds the device must wait between polls; grows by 5 with every slow_down (§3.5). */
  interval: number;
  lastPolledAt: number | null;
  expiresAt: number;
}

export interface NewDeviceCode { deviceCode: string; userCodeHash: string; realm: string; clientId: string; scope: string; interval: number; expiresAt: number }

export type Poll = { outcome: 'polled' } | { outcome: 'too_fast'; interval: number };

export function deviceCodesRepository(db: Kysely<Database>) {
  const toDeviceCode = (row: Database['device_codes']): DeviceCode => ({
    realm: row.realm, clientId: row.client_id, scope: row.scope, status: row.status as DeviceCodeStatus, grantId: row.grant_id,
    interval: row.poll_interval, lastPolledAt: row.last_polled_at, expiresAt: row.expires_at,
  });
  return {
    /** False when the user code's hash is taken (a collision: the caller draws another code). */
    async create(c: NewDeviceCode, now: number): Promise<boolean> {
      const result = await db.insertInto('device_codes').values({
        device_code_hash: sha256(c.deviceCode), user_code_hash: c.userCodeHash, realm: c.realm, client_id: c.clientId, scope: c.scope,
        status: 'pending', grant_id: null, poll_interval: c.interval, last_polled_at: null, created_at: now, expires_at: c.expiresAt,
      }).onConflict((oc) => oc.column('user_code_hash').doNothing()).executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    async findByDeviceCode(deviceCode: string): Promise<DeviceCode | undefined> {
      const row = await db.selectFrom('device_codes').selectAll().where('device_code_hash', '=', sha256(deviceCode)).executeTakeFirst();
      return row && toDeviceCode(row);
    },
    /** A code the user may still answer: pending and unexpired. */
    async findPendingByUserCode(realm: string, userCodeHash: string, now: number): Promise<DeviceCode | undefined> {
      const row = await db.selectFrom('device_codes').selectAll().where('user_code_hash', '=', userCodeHash).where('realm', '=', realm)
        .where('status', '=', 'pending').where('expires_at', '>', now).executeTakeFirst();
      return row && toDeviceCode(row);
    },
    /** The user's answer; true only if the code was still pending and unexpired (one answer per code). */
    async answer(userCodeHash: string, answer: { status: 'approved'; grantId: string } | { status: 'denied' }, now: number): Promise<boolean> {
      const result = await db.updateTable('device_codes')
        .set({ status: answer.status, grant_id: answer.status === 'approved' ? answer.grantId : null })
        .where('user_code_hash', '=', userCodeHash).where('status', '=', 'pending').where('expires_at', '>', now).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    /**
     * Records a poll. A poll sooner than `interval` seconds after the previous one is too fast:
     * the interval grows by 5 seconds (RFC 8628 §3.5) and the poll counts as the latest.
     */
    async poll(deviceCode: string, now: number): Promise<Poll> {
      const hash = sha256(deviceCode);
      const row = await db.selectFrom('device_codes').select(['poll_interval', 'last_polled_at']).where('device_code_hash', '=', hash).executeTakeFirst();
      if (row && row.last_polled_at !== null && now - row.last_polled_at < row.poll_interval * 1000) {
        const interval = row.poll_interval + 5;
        await db.updateTable('device_codes').set({ poll_interval: interval, last_polled_at: now }).where('device_code_hash', '=', hash).execute();
        return { outcome: 'too_fast', interval };
      }
      await db.updateTable('device_codes').set({ last_polled_at: now }).where('device_code_hash', '=', hash).execute();
      return { outcome: 'polled' };
    },
    /** The device collects its tokens: true for exactly one caller per approved code, however many race. */
    async markUsed(deviceCode: string): Promise<boolean> {
      const result = await db.updateTable('device_codes').set({ status: 'used' })
        .where('device_code_hash', '=', sha256(deviceCode)).where('status', '=', 'approved').executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
export type DeviceCodesRepository = ReturnType<typeof deviceCodesRepository>;
