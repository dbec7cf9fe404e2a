// Health endpoints for orchestrators: /health/live (the process answers) and /health/ready
// (it can serve: the database answers within a deadline). Neither needs a realm.
import type { FastifyInstance } from 'fastify';
import { route } from '../http/endpoint.js';
import type { Needs } from '../services.js';
import { opsEndpoints } from './endpoints.js';

/** What this module uses (services.ts `Needs`). */
export type HealthDeps = Needs<never, 'ping'>;

export const readinessTimeoutMs = 2000;

/** Resolves true when `check` succeeds within `ms`, false when it fails or takes longer. */
async function within(ms: number, check: () => Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([check().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(app: FastifyInstance, s: HealthDeps): void {
  route(app, opsEndpoints.health_live, async (_request, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  route(app, opsEndpoints.health_ready, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    if (await within(readinessTimeoutMs, () => s.store.ping())) return reply.send({ status: 'ready' });
    request.log.warn({ event: 'not_ready', reason: 'database' }, 'readiness check failed: the database did not answer');
    return reply.code(503).send({ status: 'unavailable', reason: 'database' });
  });
}
