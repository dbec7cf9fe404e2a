// Request rate limits (docs/security.md "Rate limits") on the endpoints whose table entry names them
// (`rateLimits`: the sign-in form, the device code form, and the authorization, token, introspection,
// revocation, registration, device authorization and PAR endpoints): per client address before
// anything else, per client once a request has proved to be that client, and failed client
// authentications per address and client. Counters live in Redis when
// STRIX_REDIS_URL is set (shared by every node), otherwise in this process. A refusal is 429 with
// Retry-After (RFC 6585 §4).
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { ClientAuthenticationLimits } from '../http/client-auth.js';
import { matchedEndpoint, type Endpoint, type Method, type RateLimit, type RateLimitName } from '../http/endpoint.js';
import { TooManyRequests } from '../http/errors.js';
import type { Needs } from '../services.js';
import { Lru } from '../store/lru.js';

/** What this module uses (services.ts `Needs`). */
export type RateLimitsDeps = Needs<'clock' | 'config' | 'log'>;

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

// Wait at most this long for Redis at start, and for any one command: a slow store must not stall
// sign-ins, and a failed check lets the request through (see failOpen).
const redisConnectTimeoutMs = 1000;
const redisCommandTimeoutMs = 500;
const storeWarningIntervalMs = 60_000;
const localKeysPerLimit = 100_000;
// Failures are keyed by the client_id a request names, which may be anything: the key keeps a bounded part of it.
const maxClientIdLength = 200;

/**
 * The address counted: IPv6 clients by /64, as one host usually holds the whole subnet. An IPv4
 * address (no colon) is its own key as it stands; only IPv6 needs the plugin's normalisation.
 */
const addressKey = (request: FastifyRequest) => (request.ip.includes(':') ? normalizeIP(request.ip, 64) : request.ip);

/**
 * Fixed-window counters of this process when there is no Redis: what @fastify/rate-limit's local
 * store counts (a window opens with a key's first request and lasts `windowMs`; the least recently
 * used key goes first when full), in a plain map, without a promise per check.
 */
class LocalCounters {
  readonly #windows = new Lru<string, { count: number; openedAt: number }>(localKeysPerLimit);
  /** One more request for `key`: how many the window now holds, and the milliseconds left of it. */
  spend(key: string, windowMs: number): { count: number; leftMs: number } {
    // Wall-clock time, as the plugin's store used.
    const now = Date.now();
    let window = this.#windows.get(key);
    if (!window || window.openedAt + windowMs <= now) {
      window = { count: 0, openedAt: now };
      this.#windows.set(key, window);
    }
    window.count++;
    return { count: window.count, leftMs: windowMs - (now - window.openedAt) };
  }
}

async function connectRedis(s: RateLimitsDeps, url: string): Promise<Redis> {
  // Loaded only when configured: it takes a noticeable part of the start-up time.
  const { Redis } = await import('ioredis');
  // No offline queue: while Redis is down a check fails at once (and the request goes through)
  // instead of waiting for a reconnection.
  const redis = new Redis(url, {
    enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: redisConnectTimeoutMs, commandTimeout: redisCommandTimeoutMs,
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (down) return;
    down = true;
    s.log.warn({ event: 'rate_limit_store_unavailable', err: error.message }, 'Redis is unreachable: rate limits are not enforced until it is back');
  });
  redis.on('ready', () => {
    if (down) s.log.info({ event: 'rate_limit_store_available' }, 'Redis is reachable again: rate limits are enforced');
    down = false;
  });
  return redis;
}

function whenReady(redis: Redis): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, redisConnectTimeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Registers the limits; call after the realm resolver, so that each realm's own settings apply, and before the routes it limits. */
export async function rateLimits(app: FastifyInstance, s: RateLimitsDeps): Promise<void> {
  const redis = s.config.redisUrl ? await connectRedis(s, s.config.redisUrl) : undefined;
  if (redis) {
    app.addHook('onClose', async () => redis.disconnect());
    await whenReady(redis);
    await app.register(rateLimit, { global: false, redis, nameSpace: 'strix:rate-limit:' });
  }

  const settingsOf = (request: FastifyRequest, name: RateLimitName) => request.realm!.settings.rate_limits[name];
  const keyOf: Record<RateLimit['by'] | 'ip_and_client', (request: FastifyRequest) => string> = {
    ip: addressKey,
    client: (request) => authenticatedClients.get(request)!,
    ip_and_client: (request) => `${addressKey(request)}|${authenticatedClients.get(request)!}`,
  };
  const keyGenerators = new Map<RateLimitName, (request: FastifyRequest) => string>();
  const redisLimiters = new Map<RateLimitName, Limiter>();
  const localCounters = new Map<RateLimitName, LocalCounters>();
  const addLimiter = (limit: { name: RateLimitName; by: keyof typeof keyOf }) => {
    if (keyGenerators.has(limit.name)) return;
    const keyGenerator = (request: FastifyRequest) => `${request.realm!.name}|${limit.name}|${keyOf[limit.by](request)}`;
    keyGenerators.set(limit.name, keyGenerator);
    if (!redis) {
      localCounters.set(limit.name, new LocalCounters());
      return;
    }
    redisLimiters.set(limit.name, app.createRateLimit({
      keyGenerator,
      max: (request) => settingsOf(request, limit.name).max,
      timeWindow: (request) => settingsOf(request, limit.name).window_seconds * 1000,
    }));
  };
  addLimiter({ name: failureLimit, by: 'ip_and_client' });
  // Every limit an endpoint names, as its routes are registered (after this).
  app.addHook('onRoute', (route) => {
    for (const limit of route.config?.endpoint?.rateLimits ?? []) addLimiter(limit);
  });

  let warnedAt = -Infinity;
  const failOpen = (request: FastifyRequest, error: unknown) => {
    const now = s.clock.now();
    if (now - warnedAt < storeWarningIntervalMs) return;
    warnedAt = now;
    request.log.warn({ event: 'rate_limit_check_failed', err: (error as Error).message }, 'rate limit check failed: request allowed');
  };

  const refused = (request: FastifyRequest, name: RateLimitName, leftMs: number): number => {
    request.log.info({ realm: request.realm!.name, event: 'rate_limited', limit: name, ip: request.ip }, 'request refused by a rate limit');
    return Math.max(1, Math.ceil(leftMs / 1000));
  };
  /** Counts the request against one limit in this process: the seconds to wait when it is over, else undefined. */
  const spendLocally = (request: FastifyRequest, name: RateLimitName): number | undefined => {
    const { max, window_seconds: windowSeconds } = settingsOf(request, name);
    const { count, leftMs } = localCounters.get(name)!.spend(keyGenerators.get(name)!(request), windowSeconds * 1000);
    return count > max ? refused(request, name, leftMs) : undefined;
  };
  /** The same through Redis, shared by every node. */
  const spendInRedis = async (request: FastifyRequest, name: RateLimitName): Promise<number | undefined> => {
    let result;
    try {
      result = await redisLimiters.get(name)!(request);
    } catch (error) {
      failOpen(request, error);
      return undefined;
    }
    if (result.isAllowed || !result.isExceeded) return undefined;
    return refused(request, name, result.ttl);
  };
  const spend = redis ? spendInRedis : async (request: FastifyRequest, name: RateLimitName) => spendLocally(request, name);

  // Rendered by the app's error handler: a page or JSON as the endpoint renders its errors.
  if (redis) {
    app.addHook('preHandler', async (request) => {
      if (!request.realm?.settings.rate_limits.enabled) return;
      for (const limit of limitsOf(request, 'ip')) {
        const retryAfter = await spendInRedis(request, limit.name);
        if (retryAfter !== undefined) throw new TooManyRequests(retryAfter);
      }
    });
  } else {
    // A callback hook: counting in this process waits for nothing.
    app.addHook('preHandler', (request, _reply, done) => {
      if (!request.realm?.settings.rate_limits.enabled) return done();
      for (const limit of limitsOf(request, 'ip')) {
        const retryAfter = spendLocally(request, limit.name);
        if (retryAfter !== undefined) return done(new TooManyRequests(retryAfter));
      }
      done();
    });
  }

  app.decorate('clientAuthenticationLimits', clientAuthenticationLimits(s, spend));
}

const noLimits: readonly RateLimit[] = [];
/** Each endpoint's limits by method and by what they count, worked out on first use. */
const limitsByEndpoint = new WeakMap<Endpoint, Map<string, readonly RateLimit[]>>();

/** The limits of the endpoint a request matched that apply to its method and are counted by `by`. */
function limitsOf(request: FastifyRequest, by: RateLimit['by']): readonly RateLimit[] {
  const endpoint = matchedEndpoint(request);
  if (!endpoint?.rateLimits) return noLimits;
  let byMethod = limitsByEndpoint.get(endpoint);
  if (!byMethod) limitsByEndpoint.set(endpoint, byMethod = new Map());
  const key = `${request.method} ${by}`;
  let limits = byMethod.get(key);
  if (!limits) {
    limits = endpoint.rateLimits.filter((limit) => limit.by === by && (limit.methods?.includes(request.method as Method) ?? true));
    byMethod.set(key, limits);
  }
  return limits;
}

const failureLimit: RateLimitName = 'failed_client_authentication_per_ip_and_client';

/** The client each request authenticated as (or tried to), for the keys of the limits spent after authentication. */
const authenticatedClients = new WeakMap<FastifyRequest, string>();

/**
 * Spent after client authentication, so that strangers who know a client_id cannot use up its
 * allowance. An address whose failures for a client are over the limit is remembered by this process
 * until the window ends and refused before its credentials are checked (other nodes learn it at that
 * address's next failure there, as the count itself is shared through Redis).
 */
function clientAuthenticationLimits(
  s: RateLimitsDeps, spend: (request: FastifyRequest, name: RateLimitName) => Promise<number | undefined>,
): ClientAuthenticationLimits {
  const refusedUntil = new Map<string, number>();
  const enabled = (request: FastifyRequest) => request.realm?.settings.rate_limits.enabled === true;
  const refusalKey = (request: FastifyRequest, clientId: string) => `${request.realm!.name}|${addressKey(request)}|${clientId.slice(0, maxClientIdLength)}`;
  return {
    async beforeCheck(request, clientId) {
      if (!enabled(request)) return;
      const key = refusalKey(request, clientId);
      const until = refusedUntil.get(key);
      if (until === undefined) return;
      const now = s.clock.now();
      if (until <= now) {
        refusedUntil.delete(key);
        return;
      }
      request.log.info({ realm: request.realm!.name, event: 'rate_limited', limit: failureLimit, ip: request.ip }, 'request refused by a rate limit');
      throw new TooManyRequests(Math.max(1, Math.ceil((until - now) / 1000)));
    },
    async failed(request, clientId) {
      if (!enabled(request)) return;
      authenticatedClients.set(request, clientId.slice(0, maxClientIdLength));
      const retryAfter = await spend(request, failureLimit);
      if (retryAfter === undefined) return;
      if (refusedUntil.size >= localKeysPerLimit) refusedUntil.clear();
      refusedUntil.set(refusalKey(request, clientId), s.clock.now() + retryAfter * 1000);
      throw new TooManyRequests(retryAfter);
    },
    async succeeded(request, clientId, proven) {
      // A public client (`none`) only names itself, which anyone can do: it is counted by address only.
      if (!enabled(request) || !proven) return;
      authenticatedClients.set(request, clientId);
      for (const limit of limitsOf(request, 'client')) {
        const retryAfter = await spend(request, limit.name);
        if (retryAfter !== undefined) throw new TooManyRequests(retryAfter);
      }
    },
  };
}
