// The audit event log (docs/security.md "Audit events"): sign-ins, lockouts, tokens, consent,
// administration. Events are written in small batches (one commit for everything recorded in the
// same turn of the event loop), together with the webhook deliveries they cause. Recording never
// fails the request that caused it: a write error is logged and the request goes on.
import type { Logger } from 'pino';
import { timeOrderedId, type Clock } from '../runtime.js';
import type { EventsRepository, NewDelivery, StoredEvent } from '../store/events.js';
import type { Realm } from '../store/realms.js';
import type { User } from '../store/users.js';

export const eventTypes = [
  'login_success', 'login_failure', 'lockout', 'new_device', 'logout',
  'mfa_enrolled', 'mfa_failure', 'mfa_removed', 'recovery_codes_regenerated',
  'token_issued', 'refresh_reuse_detected', 'code_replay_detected',
  'consent_granted', 'consent_revoked', 'client_registered',
  'admin_user_created', 'admin_user_password_set', 'admin_user_disabled', 'admin_user_unlocked',
  'admin_client_created', 'admin_client_secret_rotated', 'admin_client_enabled', 'admin_client_disabled',
  'admin_keys_rotated', 'admin_realm_imported',
  // Changes made through the admin API (src/admin/resource.ts): details name the actor and the resource, with digests of before and after.
  'admin_realm_created', 'admin_realm_updated', 'admin_realm_deleted', 'admin_client_updated', 'admin_client_deleted',
  'admin_user_updated', 'admin_user_deleted', 'admin_user_roles_set', 'admin_role_created', 'admin_role_updated', 'admin_role_deleted',
  'admin_session_ended', 'admin_user_logged_out', 'admin_group_created', 'admin_group_updated', 'admin_group_deleted', 'admin_user_groups_changed',
  'admin_consent_revoked', 'admin_credential_removed', 'admin_initial_access_token_issued', 'admin_initial_access_token_removed', 'admin_user_execute_actions_email',
  'email_delivery_failed', 'password_reset_requested', 'password_reset', 'email_verified', 'user_registered', 'email_code_sent', 'email_change_requested', 'email_changed',
  'identity_provider_linked', 'identity_provider_unlinked', 'identity_provider_error', 'required_action_completed',
  'profile_updated', 'password_changed',
] as const;
export type EventType = typeof eventTypes[number];

/** Small, flat and never secret: strings are cut to 200 characters. */
export type EventDetails = Record<string, string | number | boolean | string[] | null>;

export interface EventInput {
  realm: Realm;
  type: EventType;
  userId?: string | null;
  clientId?: string | null;
  ip?: string | null;
  sessionId?: string | null;
  details?: EventDetails;
}

/** What the admin API returns and webhooks post: Keycloak's event representation. */
export interface EventRepresentation {
  id: string; time: number; type: string; realmId: string; clientId: string | null; userId: string | null;
  sessionId: string | null; ipAddress: string | null; details: Record<string, unknown>;
}

export function representation(e: StoredEvent): EventRepresentation {
  return {
    id: e.id, time: e.time, type: e.type, realmId: e.realm, clientId: e.clientId, userId: e.userId,
    sessionId: e.sessionId, ipAddress: e.ip, details: e.details,
  };
}

// A safety net behind the rule that callers never pass secrets: these names are dropped.
const secretNames = new Set(['password', 'secret', 'client_secret', 'code', 'code_verifier', 'access_token', 'refresh_token', 'id_token', 'assertion', 'client_assertion', 'otp']);
const maxString = 200;
const maxQueued = 10_000;
const maxBatch = 500;
/**
 * Everything recorded within the delay is written in one commit. Commits (SQLite writes the log on
 * the event loop's thread) are what make events costly: one per token request would cost the token
 * endpoint about a third of its throughput, so token_issued events wait longer (docs/security.md).
 */
const flushDelayMs = 20;
const hotPathDelayMs = 250;

function cleanDetails(details: EventDetails | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(details ?? {})) {
    if (secretNames.has(name.toLowerCase()) || value === undefined) continue;
    out[name] = typeof value === 'string' ? value.slice(0, maxString)
      : Array.isArray(value) ? value.slice(0, 50).map((v) => v.slice(0, maxString)) : value;
  }
  return out;
}

export function recorded(realm: Realm, type: EventType): boolean {
  const settings = realm.settings.events;
  return settings.enabled && (settings.types.length === 0 || settings.types.includes(type));
}

export interface AuditLog {
  /** Resolves once the event is stored (or its write failed and was logged); never rejects. */
  record(input: EventInput): Promise<void>;
  /** Writes whatever is queued. */
  flush(): Promise<void>;
  /** Called after a batch that queued webhook deliveries is stored. */
  onDeliveries(listener: () => void): void;
}

interface Pending { event: StoredEvent; deliveries: NewDelivery[]; done: () => void }

export function createAuditLog(events: EventsRepository, clock: Clock, log: Pick<Logger, 'error' | 'warn'>): AuditLog {
  let queue: Pending[] = [];
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let dueAt = Infinity;
  let droppedWarned = false;
  const listeners: (() => void)[] = [];

  // Writes what is queued now. Events recorded meanwhile wait for their own schedule: looping until
  // the queue is empty would, under load, commit a handful of events on every turn of the event loop.
  const write = async () => {
    const taken = queue;
    queue = [];
    for (let start = 0; start < taken.length; start += maxBatch) {
      const batch = taken.slice(start, start + maxBatch);
      try {
        await events.append(batch, clock.now());
        if (batch.some((p) => p.deliveries.length > 0)) for (const listener of listeners) listener();
      } catch (error) {
        log.error({ err: error, event: 'audit_write_failed', lost: batch.length }, 'audit events could not be stored');
      }
      for (const p of batch) p.done();
    }
  };
  const writeNow = () => {
    clearTimeout(timer);
    timer = undefined;
    dueAt = Infinity;
    writing = writing.then(write);
  };
  /** Writes the queue within `delayMs`, or sooner if a write is already due sooner. */
  const schedule = (delayMs: number) => {
    const at = performance.now() + delayMs;
    if (at >= dueAt) return;
    clearTimeout(timer);
    dueAt = at;
    timer = setTimeout(writeNow, delayMs);
  };

  return {
    record(input) {
      if (!recorded(input.realm, input.type)) return Promise.resolve();
      if (queue.length >= maxQueued) {
        if (!droppedWarned) log.warn({ event: 'audit_queue_full' }, 'audit events are being dropped: the database does not keep up');
        droppedWarned = true;
        return Promise.resolve();
      }
      droppedWarned = false;
      const time = clock.now();
      const event: StoredEvent = {
        id: timeOrderedId(time), realm: input.realm.name, time, type: input.type, userId: input.userId ?? null,
        clientId: input.clientId ?? null, ip: input.ip ?? null, sessionId: input.sessionId ?? null, details: cleanDetails(input.details),
      };
      const hooks = input.realm.settings.event_webhooks.filter((w) => !w.types || w.types.includes(input.type));
      const body = hooks.length > 0 ? JSON.stringify(representation(event)) : '';
      return new Promise<void>((done) => {
        queue.push({ event, deliveries: hooks.map((w) => ({ url: w.url, body })), done });
        schedule(input.type === 'token_issued' ? hotPathDelayMs : flushDelayMs);
      });
    },
    async flush() {
      writeNow();
      await writing;
    },
    onDeliveries(listener) {
      listeners.push(listener);
    },
  };
}

/** Why a sign-in failed, for the audit log (read by administrators only, never shown on the page). */
export function failureReason(user: User | undefined, passwordValid: boolean): 'unknown_user' | 'bad_password' | 'user_disabled' {
  if (!user) return 'unknown_user';
  if (!passwordValid) return 'bad_password';
  return 'user_disabled';
}

/** Records an event; see AuditLog.record. */
export function recordEvent(s: { audit: AuditLog }, input: EventInput): Promise<void> {
  return s.audit.record(input);
}
