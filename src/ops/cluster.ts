// `strix start --workers N`: a node:cluster primary that forks N workers sharing the port (the
// primary accepts connections and hands them out round-robin), replaces a worker that dies, with a
// growing delay so that a worker that cannot start does not become a crash loop, and stops them all
// on SIGTERM/SIGINT. The database is prepared in the primary before the first fork (src/start.ts).
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';

/** A worker that served this long before dying is restarted at once; quicker deaths back off. */
const healthyLifetimeMs = 30_000;
const firstRestartDelayMs = 500;
const maxRestartDelayMs = 30_000;
/** Workers give up on in-flight requests after 10 s (src/start.ts); the primary waits a little longer. */
const stopDeadlineMs = 12_000;

/** IPC messages between a worker and the primary (worker → primary: give me the cluster's metrics). */
export const metricsRequest = 'strix:metrics-request';
export const metricsResponse = 'strix:metrics-response';

export interface Supervision {
  /** Resolves once all N workers listen. */
  ready: Promise<void>;
}

/**
 * Forks `workers` processes and keeps that many running. `stop` runs after every worker has exited
 * on a signal (closing the primary's own resources); the primary then exits 0, or 1 when a worker
 * had to be killed or exited with an error.
 */
export function superviseWorkers(options: { workers: number; log: Logger; stop: () => Promise<void> }): Supervision {
  const { workers, log } = options;
  const startedAt = new Map<number, number>();
  const restarts = new Set<NodeJS.Timeout>();
  let quickDeaths = 0;
  let stopping = false;
  let failedStop = false;
  const aggregator = new AggregatorRegistry();

  let listening = 0;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => { markReady = resolve; });

  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.on('message', (message: { type?: string; id?: number }) => {
      if (message?.type !== metricsRequest) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: metricsResponse, id: message.id, text }),
        (error: Error) => worker.send({ type: metricsResponse, id: message.id, error: error.message }),
      );
    });
    return worker;
  };

  cluster.on('listening', (worker) => {
    log.debug({ worker: worker.process.pid }, 'worker listening');
    if (++listening === workers) markReady();
  });

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? Date.now());
    startedAt.delete(worker.id);
    if (stopping) {
      if (code !== 0) failedStop = true;
      return;
    }
    quickDeaths = lived >= healthyLifetimeMs ? 0 : quickDeaths + 1;
    const delay = quickDeaths === 0 ? 0 : Math.min(maxRestartDelayMs, firstRestartDelayMs * 2 ** (quickDeaths - 1));
    log.error({ worker: worker.process.pid, code, signal, restartInMs: delay }, 'a worker exited: starting a new one');
    const timer = setTimeout(() => { restarts.delete(timer); fork(); }, delay);
    restarts.add(timer);
  });

  for (let i = 0; i < workers; i++) fork();

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'shutting down');
    for (const timer of restarts) clearTimeout(timer);
    const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = Promise.all(running.map((w) => new Promise((resolve) => {
      if (w.isDead()) resolve(undefined);
      else w.once('exit', resolve);
    })));
    for (const w of running) w.process.kill('SIGTERM');
    const deadline = setTimeout(() => {
      log.error({ deadlineMs: stopDeadlineMs }, 'workers did not stop before the shutdown deadline: killing them');
      failedStop = true;
      for (const w of running) if (!w.isDead()) w.process.kill('SIGKILL');
    }, stopDeadlineMs);
    await exited;
    clearTimeout(deadline);
    await options.stop();
    process.exit(failedStop ? 1 : 0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  return { ready };
}

/** In a worker: the metrics of every worker, summed by the primary (prom-client's AggregatorRegistry). */
export function clusterMetrics(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = Math.random();
    const timer = setTimeout(() => { process.off('message', onMessage); reject(new Error('the primary did not answer')); }, 6_000);
    const onMessage = (message: { type?: string; id?: number; text?: string; error?: string }) => {
      if (message?.type !== metricsResponse || message.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (message.error !== undefined) reject(new Error(message.error));
      else resolve(message.text ?? '');
    };
    process.on('message', onMessage);
    process.send!({ type: metricsRequest, id });
  });
}
