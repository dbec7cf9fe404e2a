// The mail outbox (docs/email.md "The outbox"): a flow queues its message in the database and
// answers the user at once; every node sends from the outbox, claiming due rows with a lease so
// that one node sends each, and retries with backoff while the SMTP server is down. A failed
// attempt is an audit event, a metric and a log line, never an error for the user. The message
// is sealed with the master key while it waits: its links are secrets.
import { countMailDelivery } from '../ops/metrics.js';
import { recordEvent } from '../security/audit.js';
import type { Needs } from '../services.js';
import type { QueuedMail } from '../store/mail-outbox.js';
import type { Realm } from '../store/realms.js';
import type { MailTemplate } from './templates.js';
import { startOutboxLoop } from '../ops/outbox-loop.js';
import { MailDeliveryError, sendMail, smtpTarget, type MailMessage } from './transport.js';

const leaseMs = 60_000;
const pollMs = 2_000;
const claimLimit = 10;
/** Seconds to wait after failed attempt n (1, 2, …): about a day in all; then the message is given up. */
export const mailRetryDelays = [10, 30, 60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200];

export type QueueServices = Needs<'clock' | 'sealer' | 'log', 'mailOutbox'>;
export type DeliveryServices = Needs<'config' | 'clock' | 'sealer' | 'log' | 'audit', 'mailOutbox' | 'realms'>;

/** Delivery loops of this process, woken when a message is queued so that it leaves at once. */
const wakeUps = new Set<() => void>();

/** The address as the per-address limit counts it: a keyed digest, so the outbox keeps no address in clear once sent. */
const recipientDigest = (s: Needs<'sealer'>, realm: Realm, to: string) => s.sealer.digest(`mail\0${realm.name}\0${to.trim().toLowerCase()}`);

/**
 * Queues a message; false when the address already received the realm's `email_per_address` limit
 * (the caller answers the same either way: the page never says whether mail was sent).
 */
export async function queueMail(s: QueueServices, realm: Realm, template: MailTemplate, message: MailMessage): Promise<boolean> {
  const now = s.clock.now();
  const digest = recipientDigest(s, realm, message.to);
  const limit = realm.settings.rate_limits.email_per_address;
  if (realm.settings.rate_limits.enabled && await s.store.mailOutbox.countFor(realm.name, digest, now - limit.window_seconds * 1000) >= limit.max) {
    s.log.info({ realm: realm.name, event: 'mail_limited', template }, 'mail not queued: the address reached its limit');
    return false;
  }
  const id = await s.store.mailOutbox.queue({ realm: realm.name, template, recipientDigest: digest, messageSealed: s.sealer.seal(JSON.stringify(message)) }, now);
  s.log.info({ realm: realm.name, event: 'mail_queued', template, mailId: id }, 'mail queued');
  for (const wake of wakeUps) wake();
  return true;
}

export interface MailDelivery { stop(): Promise<void> }

export function startMailDelivery(s: DeliveryServices): MailDelivery {
  const loop = startOutboxLoop({
    claim: () => s.store.mailOutbox.claim(s.clock.now(), leaseMs, claimLimit), claimLimit,
    deliver: async (due) => { for (const mail of due) await deliver(s, mail); },
    pollMs, log: s.log, name: 'mail',
  });
  wakeUps.add(loop.wake);
  return {
    async stop() {
      wakeUps.delete(loop.wake);
      await loop.stop();
    },
  };
}

async function deliver(s: DeliveryServices, mail: QueuedMail): Promise<void> {
  const realm = await s.store.realms.get(mail.realm);
  const log = { realm: mail.realm, template: mail.template, mailId: mail.id, attempt: mail.attempts };
  let reason: string;
  try {
    const target = realm && smtpTarget(s.config, realm);
    if (!target) throw new MailDeliveryError('smtp_not_configured');
    await sendMail(target, JSON.parse(s.sealer.open(mail.messageSealed)) as MailMessage);
    await s.store.mailOutbox.sent(mail.id, s.clock.now());
    countMailDelivery('sent');
    s.log.info({ ...log, event: 'mail_sent' }, 'mail sent');
    return;
  } catch (error) {
    reason = error instanceof MailDeliveryError ? error.reason : 'unexpected';
    if (!(error instanceof MailDeliveryError)) s.log.error({ ...log, err: error, event: 'mail_error' }, 'mail delivery failed unexpectedly');
  }
  const delay = mailRetryDelays[mail.attempts - 1];
  if (realm) {
    await recordEvent(s, { realm, type: 'email_delivery_failed', details: { template: mail.template, attempt: mail.attempts, reason, retry_in: delay ?? null } });
  }
  if (delay === undefined) {
    countMailDelivery('given_up');
    s.log.error({ ...log, event: 'mail_given_up', reason }, 'mail delivery failed too often: given up');
    return s.store.mailOutbox.givenUp(mail.id, s.clock.now());
  }
  countMailDelivery('failed');
  s.log.warn({ ...log, event: 'mail_retry', reason, retryIn: delay }, 'mail delivery failed: will retry');
  await s.store.mailOutbox.retryAt(mail.id, s.clock.now() + delay * 1000);
}
