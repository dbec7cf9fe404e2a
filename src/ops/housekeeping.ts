// Background housekeeping for a running server: purges expired rows (src/store/purge.ts) about
// once a minute. Every node may run it; the deletes are idempotent, and jitter spreads the nodes out.
import type { Needs } from '../services.js';
import { purgeExpired } from '../store/purge.js';

/** What this module uses (services.ts `Needs`). */
export type HousekeepingDeps = Needs<'clock' | 'log', 'purge' | 'realms' | 'events' | 'knownDevices' | 'mailOutbox' | 'emailActions' | 'registrations'>;

export interface Housekeeping { stop(): Promise<void> }

export const purgeIntervalMs = 60_000;

export function startHousekeeping(s: HousekeepingDeps, intervalMs = purgeIntervalMs): Housekeeping {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const run = async () => {
    try {
      const counts = await purgeExpired(s.store, s.clock.now());
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      if (total > 0) s.log.info({ event: 'purge', ...counts }, `purged ${total} expired rows`);
    } catch (error) {
      // A failed run (database briefly away) is retried at the next tick; it never stops the server.
      s.log.error({ err: error, event: 'purge_failed' }, 'purging expired rows failed');
    }
  };
  const schedule = () => {
    if (stopped) return;
    const delay = intervalMs * (0.8 + Math.random() * 0.4);
    timer = setTimeout(() => {
      running = run().finally(schedule);
    }, delay);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
