// `strix start`: prepare the database once (migrations, the master realm, realm imports, signing
// keys), then serve HTTP in this process (`--workers 1`) or in N cluster workers that share the
// port (src/ops/cluster.ts). Only one process runs the periodic purge: the primary, or the single process.
import cluster from 'node:cluster';
import type { Logger } from 'pino';
import { importRealm, readRealmFiles, type RealmFileDeps } from './admin/realm-file.js';
import { bootstrap, type BootstrapDeps } from './admin/bootstrap.js';
import { buildApp, createLogger, createServices } from './app.js';
import type { Config } from './config.js';
import { superviseWorkers } from './ops/cluster.js';
import { startHousekeeping, type Housekeeping } from './ops/housekeeping.js';
import { systemClock } from './runtime.js';
import { issuerOf, type Needs, type Services } from './services.js';

/** How long SIGTERM waits for in-flight requests before giving up. */
export const shutdownDeadlineMs = 10_000;

export async function start(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  if (cluster.isWorker) {
    // The primary has migrated, bootstrapped and imported: a worker only serves.
    await serve(await createServices(config, log, systemClock, { migrate: false }), undefined);
    return;
  }
  const s = await createServices(config, log);
  await prepare(s);
  const housekeeping = startHousekeeping(s);
  if (config.workers === 1) {
    await serve(s, housekeeping);
    await announce(s);
    return;
  }
  const { ready } = superviseWorkers({
    workers: config.workers, log,
    stop: async () => {
      await housekeeping.stop();
      await s.audit.flush();
      await s.store.close();
    },
  });
  await ready;
  await announce(s);
}

async function prepare(s: BootstrapDeps & RealmFileDeps & Needs<'config' | 'log' | 'keystore', 'realms'>): Promise<void> {
  await bootstrap(s, (text) => process.stdout.write(`\n${text}\n\n`));
  if (s.config.import) {
    for (const realm of readRealmFiles(s.config.import)) {
      const result = await importRealm(s, realm);
      s.log.info({ realm: result.realm, clients: result.clients, users: result.users }, result.created ? 'realm imported' : 'realm updated from import');
    }
  }
  // Workers would otherwise race to generate the first keys of a realm. Nothing else is read per
  // realm at start: keys and settings are loaded on first use and cached with a bound.
  await s.keystore.ensureEveryRealm();
}

/** Realms named in the start-up log; past that, only how many there are. */
const realmsAnnounced = 20;

async function announce(s: Needs<'config' | 'log', 'realms' | 'dialect'>): Promise<void> {
  for (const realm of await s.store.realms.page(0, realmsAnnounced)) s.log.info({ issuer: issuerOf(s.config, realm) }, `realm ${realm.name}`);
  const realms = await s.store.realms.count();
  s.log.info({ url: s.config.publicUrl, database: s.store.dialect, workers: s.config.workers, realms }, 'Strix is ready');
}

/** Serves HTTP until SIGTERM/SIGINT (or, in a worker, until the primary goes away), then drains and exits. */
async function serve(s: Services, housekeeping: Housekeeping | undefined): Promise<void> {
  const app = await buildApp(s);
  await app.listen({ port: s.config.port, host: s.config.host });
  const log: Logger = s.log;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, deadlineMs: shutdownDeadlineMs }, cluster.isWorker ? 'worker shutting down' : 'shutting down');
    // A request that never finishes (a stuck client, a hung database) must not keep the process alive forever.
    setTimeout(() => {
      log.error({ deadlineMs: shutdownDeadlineMs }, 'in-flight requests did not finish before the shutdown deadline: exiting');
      process.exit(1);
    }, shutdownDeadlineMs).unref();
    await housekeeping?.stop();
    await app.close();
    await s.store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // A worker whose primary died (kill -9) would otherwise keep running with no one to hand it connections.
  if (cluster.isWorker) process.on('disconnect', () => void stop('primary exited'));
}
