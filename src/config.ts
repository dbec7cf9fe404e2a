// The one entry point for settings: defaults < config file < environment < CLI flags,
// validated at start; a bad setting stops the start with a message that names it.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { sqlitePath } from './store/database-url.js';
import { parseOutboundAllow, type OutboundAllow } from './http/outbound.js';
import { parseAddressRule } from './security/ip-rules.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  port: number;
  host: string;
  publicUrl: string;          // no trailing slash
  databaseUrl: string;
  redisUrl?: string;
  import?: string;
  adminPassword?: string;
  masterKey?: string;
  logLevel: LogLevel;
  /** Which peers may set X-Forwarded-For (Fastify's trustProxy): none, all, a hop count, or addresses/CIDRs. */
  trustProxy: boolean | number | string[];
  dataDir: string;            // where the SQLite file and the generated master key file live
  /** Processes serving HTTP (`strix start`): 1 is a single process, more run under a node:cluster primary. */
  workers: number;
  /** Special-use addresses and host names that outbound requests may reach anyway (STRIX_OUTBOUND_ALLOW). */
  outboundAllow: OutboundAllow;
  /** Mail (docs/email.md): the SMTP server every realm sends through unless it names its own; none: the e-mail flows are off. */
  smtp?: SmtpConfig;
  /** Bounds of the in-memory caches of each process (docs/operations.md "Cache bounds"). */
  cache: CacheBounds;
}

/**
 * `realms`: realms whose settings, signing keys, CORS origins and pairwise salt a process keeps
 * (STRIX_CACHE_REALMS); `clients`: clients it keeps (STRIX_CACHE_CLIENTS). The least recently used go first.
 */
export interface CacheBounds { realms: number; clients: number }
export const defaultCacheBounds: CacheBounds = { realms: 1_000, clients: 10_000 };

/** `smtp://` (STARTTLS when the server offers it) or `smtps://` (implicit TLS), credentials in the URL; the sender address. */
export interface SmtpConfig { url: string; from: string; caFile?: string }

/** Setting name in a config file / CLI flag → environment variable. */
export const settings = {
  port: 'STRIX_PORT',
  host: 'STRIX_HOST',
  public_url: 'STRIX_PUBLIC_URL',
  database_url: 'STRIX_DATABASE_URL',
  redis_url: 'STRIX_REDIS_URL',
  import: 'STRIX_IMPORT',
  admin_password: 'STRIX_ADMIN_PASSWORD',
  master_key: 'STRIX_MASTER_KEY',
  log_level: 'STRIX_LOG_LEVEL',
  trust_proxy: 'STRIX_TRUST_PROXY',
  workers: 'STRIX_WORKERS',
  outbound_allow: 'STRIX_OUTBOUND_ALLOW',
  smtp_url: 'STRIX_SMTP_URL',
  smtp_from: 'STRIX_SMTP_FROM',
  smtp_ca_file: 'STRIX_SMTP_CA_FILE',
  cache_realms: 'STRIX_CACHE_REALMS',
  cache_clients: 'STRIX_CACHE_CLIENTS',
} as const;
export type SettingName = keyof typeof settings;

export class ConfigError extends Error {
  constructor(setting: string, problem: string) {
    super(`Invalid setting ${setting}: ${problem}`);
    this.name = 'ConfigError';
  }
}

const logLevels: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readConfigFile(path: string): Partial<Record<SettingName, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError('config file', `${path}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError('config file', `${path} must hold a JSON object`);
  }
  const out: Partial<Record<SettingName, string>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in settings)) throw new ConfigError('config file', `unknown setting "${key}" in ${path}`);
    out[key as SettingName] = String(value);
  }
  return out;
}

/**
 * Builds the Config. `flags` are CLI options by setting name; `file` is an optional config
 * file path (also STRIX_CONFIG).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  flags: Partial<Record<SettingName, string>> = {},
  file: string | undefined = env.STRIX_CONFIG,
): Config {
  const fromFile = file ? readConfigFile(file) : {};
  const get = (name: SettingName): string | undefined => {
    const value = flags[name] ?? env[settings[name]] ?? fromFile[name];
    return value === undefined || value === '' ? undefined : value;
  };

  const port = parsePort(get('port') ?? '8080');
  const host = get('host') ?? '0.0.0.0';
  const publicUrl = parsePublicUrl(get('public_url') ?? `http://localhost:${port}`);
  const databaseUrl = get('database_url') ?? 'sqlite:./data/strix.db';
  const logLevel = (get('log_level') ?? 'info') as LogLevel;
  if (!logLevels.includes(logLevel)) {
    throw new ConfigError(settings.log_level, `"${logLevel}" is not one of ${logLevels.join(', ')}`);
  }
  const masterKey = get('master_key');
  if (masterKey !== undefined && masterKey.length < 32) {
    throw new ConfigError(settings.master_key, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)');
  }
  const redisUrl = get('redis_url');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError(settings.redis_url, 'must start with redis:// or rediss://');
  }
  return {
    port,
    host,
    publicUrl,
    databaseUrl: validateDatabaseUrl(databaseUrl),
    redisUrl,
    import: get('import'),
    adminPassword: get('admin_password'),
    masterKey,
    logLevel,
    trustProxy: parseTrustProxy(get('trust_proxy') ?? 'false'),
    workers: parseWorkers(get('workers'), databaseUrl),
    outboundAllow: parseSetting(settings.outbound_allow, () => parseOutboundAllow(get('outbound_allow'))),
    smtp: parseSmtp(get('smtp_url'), get('smtp_from'), get('smtp_ca_file'), publicUrl),
    cache: {
      realms: parseCacheBound(settings.cache_realms, get('cache_realms'), defaultCacheBounds.realms),
      clients: parseCacheBound(settings.cache_clients, get('cache_clients'), defaultCacheBounds.clients),
    },
    dataDir: databaseUrl.startsWith('sqlite:') ? dirname(resolve(sqlitePath(databaseUrl))) : resolve('data'),
  };
}

function parseSetting<T>(name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
}

/** A number of cache entries, 1 to 10,000,000. */
function parseCacheBound(setting: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const bound = Number(value);
  if (!/^\d{1,8}$/.test(value) || bound < 1 || bound > 10_000_000) throw new ConfigError(setting, `"${value}" is not a number of entries (1-10000000)`);
  return bound;
}

/** Default: one worker per core. An in-memory SQLite database lives in one process, so it allows only one. */
function parseWorkers(value: string | undefined, databaseUrl: string): number {
  const inMemory = databaseUrl === 'sqlite::memory:';
  if (value === undefined) return inMemory ? 1 : availableParallelism();
  const workers = Number(value);
  if (!/^\d{1,3}$/.test(value) || workers < 1 || workers > 256) {
    throw new ConfigError(settings.workers, `"${value}" is not a number of worker processes (1-256)`);
  }
  if (inMemory && workers > 1) throw new ConfigError(settings.workers, 'an in-memory SQLite database (sqlite::memory:) cannot be shared by several workers: use 1');
  return workers;
}

/** The sender defaults to no-reply at the public host name; a URL without a host or of another scheme stops the start. */
function parseSmtp(url: string | undefined, from: string | undefined, caFile: string | undefined, publicUrl: string): SmtpConfig | undefined {
  if (url === undefined) {
    if (from !== undefined) throw new ConfigError(settings.smtp_from, `is set but ${settings.smtp_url} is not`);
    return undefined;
  }
  const problem = smtpUrlProblem(url);
  // The URL may carry a password: the message names the setting, never the value.
  if (problem) throw new ConfigError(settings.smtp_url, problem);
  if (caFile !== undefined) {
    try {
      readFileSync(caFile);
    } catch (error) {
      throw new ConfigError(settings.smtp_ca_file, `${caFile}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  const sender = from ?? `no-reply@${new URL(publicUrl).hostname}`;
  if (!/^[^\r\n]*@[^\r\n]+$/.test(sender)) throw new ConfigError(settings.smtp_from, 'must be an e-mail address, optionally with a name: "Demo <no-reply@example.com>"');
  return { url, from: sender, caFile };
}

/** What is wrong with an SMTP URL (undefined: nothing); shared with the realm setting `smtp.url`. */
export function smtpUrlProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return 'is not a URL (e.g. smtp://user:password@mail.example.com:587)';
  const parsed = new URL(url);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') return 'must start with smtp:// (STARTTLS when offered) or smtps:// (implicit TLS)';
  if (parsed.hostname === '') return 'must name a host';
  if (parsed.pathname.replace(/^\/$/, '') !== '' || parsed.search || parsed.hash) return 'must not have a path, query or fragment';
  return undefined;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) {
    throw new ConfigError(settings.port, `"${value}" is not a TCP port number (0-65535)`);
  }
  return port;
}

/** proxy-addr's names for the loopback, link-local and private ranges (IPv4 and IPv6). */
const proxyRangeNames = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `false` (the TCP peer is the client), `true` (every X-Forwarded-For hop is trusted), a number of
 * trusted hops, or a comma-separated list of proxy addresses / CIDR blocks.
 */
function parseTrustProxy(value: string): Config['trustProxy'] {
  const text = value.trim().toLowerCase();
  if (text === 'false') return false;
  if (text === 'true') return true;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops < 1 || hops > 100) throw new ConfigError(settings.trust_proxy, `${text} hops: must be between 1 and 100 (or false)`);
    return hops;
  }
  const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (entries.length === 0) throw new ConfigError(settings.trust_proxy, 'must be false, true, a number of hops or a list of proxy addresses');
  for (const entry of entries) {
    if (proxyRangeNames.includes(entry)) continue;
    try {
      parseAddressRule(entry);
    } catch (error) {
      throw new ConfigError(settings.trust_proxy, `${(error as Error).message} (expected false, true, a number of hops, or addresses / CIDR blocks separated by commas)`);
    }
  }
  return entries;
}

/**
 * The form Fastify's `trustProxy` takes. Fastify ignores a bare hop count (it cannot tell whether the
 * peer is a proxy), so hops become a function: hop 0 is the TCP peer, hop n the n-th address from the
 * right of X-Forwarded-For; the first `hops` of them are trusted.
 */
export function trustProxyOption(trustProxy: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trustProxy === 'number' ? (_address, hop) => hop < trustProxy : trustProxy;
}

function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(settings.public_url, `"${value}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(settings.public_url, 'must be an http:// or https:// URL');
  }
  if (url.search || url.hash) throw new ConfigError(settings.public_url, 'must not have a query or fragment');
  return url.href.replace(/\/+$/, '');
}

function validateDatabaseUrl(value: string): string {
  if (value.startsWith('sqlite:')) {
    if (sqlitePath(value) === '') throw new ConfigError(settings.database_url, 'sqlite: needs a file path, e.g. sqlite:./data/strix.db');
    return value;
  }
  if (/^postgres(ql)?:\/\//.test(value)) return value;
  throw new ConfigError(settings.database_url, `"${value}" must start with sqlite: or postgres://`);
}

