// Signed event webhooks (docs/security.md "Event webhooks"). Deliveries wait in a durable outbox
// written with their event; every node polls it, claiming due rows with a lease so that one node
// sends each, and a node that dies mid-delivery leaves the row to be claimed again once the lease
// ends. Each POST carries `Strix-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`.
import { httpsOrLoopback, OutboundError, signature } from '../http/outbound.js';
import { seconds } from '../runtime.js';
import type { Needs } from '../services.js';
import type { Delivery } from '../store/events.js';
import type { EventWebhook, Realm } from '../store/realms.js';
import { startOutboxLoop } from '../ops/outbox-loop.js';

/** What this module uses (services.ts `Needs`). */
export type WebhooksDeps = Needs<'audit' | 'clock' | 'log' | 'outbound' | 'sealer', 'events' | 'realms'>;

export const webhookTimeoutMs = 5_000;
/** A receiver's answer body is not read; this only bounds what a misbehaving one can send. */
const maxAnswerBytes = 64 * 1024;
const leaseMs = 30_000;
const pollMs = 2_000;
const claimLimit = 20;
/** Seconds to wait after failed attempt n (1, 2, …); after the last one the delivery is dropped. */
export const retryDelays = [1, 10, 60, 300, 1800, 7200, 21_600];

/** https, or http to a loopback address only (a receiver on the same machine, and tests); no credentials or fragment. */
export function acceptableWebhookUrl(url: string): boolean {
  return URL.canParse(url) && !new URL(url).hash && httpsOrLoopback(new URL(url));
}

export interface WebhookDelivery { stop(): Promise<void> }

export function startWebhookDelivery(s: WebhooksDeps): WebhookDelivery {
  const loop = startOutboxLoop({
    claim: () => s.store.events.claimDeliveries(s.clock.now(), leaseMs, claimLimit), claimLimit,
    deliver: async (due) => {
      const realms = new Map<string, Promise<Realm | undefined>>();
      const realmOf = (name: string) => {
        if (!realms.has(name)) realms.set(name, s.store.realms.get(name));
        return realms.get(name)!;
      };
      await Promise.all(due.map(async (d) => deliver(s, d, (await realmOf(d.realm))?.settings.event_webhooks.find((w) => w.url === d.url))));
    },
    pollMs, log: s.log, name: 'webhook',
  });
  s.audit.onDeliveries(loop.wake);
  return { stop: () => loop.stop() };
}

async function deliver(s: WebhooksDeps, d: Delivery, webhook: EventWebhook | undefined): Promise<void> {
  const events = s.store.events;
  // The webhook was removed from the realm since: nothing to send it to.
  if (!webhook) return events.delivered(d.id);
  const log = { realm: d.realm, url: d.url, attempt: d.attempts };
  let status: number | string;
  try {
    const timestamp = seconds(s.clock.now());
    const response = await s.outbound.request(d.url, {
      purpose: 'webhook',
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Strix-Webhook/1', 'strix-signature': signature(s.sealer.open(webhook.secret_sealed), timestamp, d.body) },
      body: d.body,
      timeoutMs: webhookTimeoutMs,
      maxBytes: maxAnswerBytes,
    });
    status = response.status;
    if (status >= 200 && status < 300) return events.delivered(d.id);
  } catch (error) {
    status = error instanceof OutboundError ? error.reason : 'unreachable';
  }
  const delay = retryDelays[d.attempts - 1];
  if (delay === undefined) {
    s.log.warn({ ...log, event: 'webhook_given_up', status }, 'webhook delivery failed too often: dropped');
    return events.delivered(d.id);
  }
  s.log.info({ ...log, event: 'webhook_retry', status, retryIn: delay }, 'webhook delivery failed: will retry');
  await events.retryAt(d.id, s.clock.now() + delay * 1000);
}
