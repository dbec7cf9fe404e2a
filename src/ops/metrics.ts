// Prometheus metrics at /metrics (text exposition format): process metrics, request rates and
// latencies per route pattern, tokens issued per grant type, sign-in failures, database pool use.
// Operators keep /metrics off the public network (docs/operations.md): it needs no credentials.
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { route } from '../http/endpoint.js';
import type { PoolStats } from '../store/db.js';
import { queryCounts } from '../store/query-counts.js';
import { clusterMetrics } from './cluster.js';
import { opsEndpoints } from './endpoints.js';

/** One registry per process: the counters are process-wide, like the process metrics beside them. */
const registry = new Registry();
collectDefaultMetrics({ register: registry });
// Under `--workers N` each worker answers the primary's requests for its metrics, and /metrics
// (served by whichever worker the connection landed on) shows the sum over all workers.
if (cluster.isWorker) {
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

const requests = new Counter({
  name: 'strix_http_requests_total', help: 'HTTP requests answered, by route pattern, method and status',
  labelNames: ['route', 'method', 'status'] as const, registers: [registry],
});
const requestDuration = new Histogram({
  name: 'strix_http_request_duration_seconds', help: 'Time to answer an HTTP request, by route pattern and method',
  labelNames: ['route', 'method'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
});
const tokensIssued = new Counter({
  name: 'strix_tokens_issued_total', help: 'Successful token endpoint responses, by grant type',
  labelNames: ['grant_type'] as const, registers: [registry],
});
const loginFailures = new Counter({
  name: 'strix_login_failures_total', help: 'Sign-ins refused for a wrong username or password or a disabled user', registers: [registry],
});
const passwordChecks = new Counter({
  name: 'strix_password_checks_total', help: 'Password checks (argon2id verifications), by outcome: run, or refused because the line of waiting checks was full',
  labelNames: ['outcome'] as const, registers: [registry],
});

const mailDeliveries = new Counter({
  name: 'strix_mail_deliveries_total', help: 'Attempts to hand a message to the SMTP server, by outcome: sent, failed (retried later) or given_up',
  labelNames: ['outcome'] as const, registers: [registry],
});

/** Database pools of the running apps (PostgreSQL only; SQLite has one connection and no pool). */
const pools = new Set<() => PoolStats>();
new Gauge({
  name: 'strix_db_pool_connections', help: 'Database pool connections by state (total, idle, waiting clients)',
  labelNames: ['state'] as const, registers: [registry],
  collect() {
    const sum: PoolStats = { total: 0, idle: 0, waiting: 0 };
    for (const stats of pools) for (const [state, n] of Object.entries(stats())) sum[state as keyof PoolStats] += n;
    for (const [state, n] of Object.entries(sum)) this.set({ state }, n);
  },
});

new Counter({
  name: 'strix_db_statements_total', help: 'Statements sent to the database by this process, by kind (read, write)',
  labelNames: ['kind'] as const, registers: [registry],
  collect() {
    this.reset();
    this.inc({ kind: 'read' }, queryCounts.reads);
    this.inc({ kind: 'write' }, queryCounts.writes);
  },
});
new Counter({
  name: 'strix_db_commits_total', help: 'SQLite commits (one per event-loop turn that wrote; one fsync of the log covers every commit made before it began). On PostgreSQL each write outside a transaction commits by itself',
  registers: [registry],
  collect() {
    this.reset();
    this.inc(queryCounts.commits);
  },
});

new Counter({
  name: 'strix_db_statements_prepared_total', help: 'SQLite statements prepared (parsed and planned). Each SQL text is prepared once and kept; a count that keeps rising under steady traffic means statements miss the cache',
  registers: [registry],
  collect() {
    this.reset();
    this.inc(queryCounts.prepares);
  },
});

export function countTokensIssued(grantType: string): void {
  tokensIssued.inc({ grant_type: grantType });
}

export function countLoginFailure(): void {
  loginFailures.inc();
}

export function countPasswordCheck(outcome: 'run' | 'busy'): void {
  passwordChecks.inc({ outcome });
}

export function countMailDelivery(outcome: 'sent' | 'failed' | 'given_up'): void {
  mailDeliveries.inc({ outcome });
}

/** Adds the /metrics route and the request hook. Labels use the route pattern, never the raw URL, to bound their number. */
export function metrics(app: FastifyInstance, poolStats?: () => PoolStats): void {
  if (poolStats) {
    pools.add(poolStats);
    app.addHook('onClose', async () => { pools.delete(poolStats); });
  }
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const method = request.method;
    requests.inc({ route, method, status: String(reply.statusCode) });
    requestDuration.observe({ route, method }, reply.elapsedTime / 1000);
    done();
  });
  route(app, opsEndpoints.metrics, async (_request, reply) =>
    reply.type(registry.contentType).header('cache-control', 'no-store')
      .send(cluster.isWorker ? await clusterMetrics() : await registry.metrics()));
}
