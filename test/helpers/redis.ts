// Whether the Redis-backed tests run: when Redis is reachable, and always under CI=true (where its
// absence is a failure, not a skip), as test/helpers/databases.ts does for PostgreSQL.
import { Redis } from 'ioredis';

export const redisUrl = process.env.STRIX_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function detect(): Promise<boolean> {
  if (await redisReachable()) return true;
  if (process.env.CI === 'true') throw new Error(`Redis is required under CI=true but ${redisUrl} is not reachable`);
  console.warn(`# Redis at ${redisUrl} is not reachable: Redis-backed rate limit tests are SKIPPED (they run under CI=true)`);
  return false;
}

/** Use as `describe(name, { skip: !redisAvailable && 'Redis is not reachable' }, …)`. */
export const redisAvailable: boolean = await detect();
