// The delivery loop of a durable outbox (webhooks, mail): every node polls for due rows and claims
// them under a lease; a wake-up (its own node queued something) runs a pass at once; a full claim
// runs another pass straight away; stop() waits for the pass under way.
import type { Logger } from 'pino';

export interface OutboxLoop {
  /** Run a pass now (or right after the one under way). */
  wake(): void;
  stop(): Promise<void>;
}

export function startOutboxLoop<T>(o: {
  /** Claims the due rows, at most `claimLimit`. */
  claim: () => Promise<T[]>;
  claimLimit: number;
  deliver: (due: T[]) => Promise<void>;
  pollMs: number;
  log: Pick<Logger, 'error'>;
  /** Names the failure in logs: `${name}_pass_failed`. */
  name: string;
}): OutboxLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;

  const pass = async () => {
    do {
      again = false;
      const due = await o.claim();
      await o.deliver(due);
      if (due.length === o.claimLimit) again = true;
    } while (again && !stopped);
  };
  const run = () => {
    if (stopped || running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = pass()
      .catch((error: unknown) => o.log.error({ err: error, event: `${o.name}_pass_failed` }, `${o.name} delivery pass failed`))
      .finally(() => {
        running = undefined;
        if (!stopped) {
          timer = setTimeout(run, again ? 0 : o.pollMs);
          timer.unref();
        }
      });
  };
  timer = setTimeout(run, o.pollMs);
  timer.unref();
  return {
    wake: run,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
