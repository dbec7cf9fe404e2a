// Every HTTP request Strix makes goes through here (request_uri, client key sets,
// sector_identifier_uri, back-channel logout, webhooks, the token hook): timeouts, a response-size
// cap, no redirects unless asked, one signature for signed POSTs, and an address guard against
// server-side request forgery. The guard runs after DNS resolution, inside the connection's own
// lookup, so the address checked is the address connected to (no rebinding between the two).
import { createHmac } from 'node:crypto';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type { FetchImplementation } from 'jose';
import type { Logger } from 'pino';
import { canonicalAddress, parseAddressRule } from '../security/ip-rules.js';

/** Why an outbound request did not give an answer; callers turn every kind into one generic error. */
export type OutboundFailure = 'refused' | 'timeout' | 'too_large' | 'unreachable';

export class OutboundError extends Error {
  constructor(readonly reason: OutboundFailure, message: string) {
    super(message);
    this.name = 'OutboundError';
  }
}

export interface OutboundRequest {
  /** What the request is for, in logs: `request_uri`, `jwks_uri`, `webhook` … */
  purpose: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  maxBytes: number;
  /** Redirects to follow (each hop is guarded again); 0, the default, returns a 3xx as it is. */
  redirects?: number;
}

export interface OutboundResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  text(): string;
}

export interface Outbound {
  request(url: string | URL, request: OutboundRequest): Promise<OutboundResponse>;
}

/**
 * Loopback, private, link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254 included),
 * CGNAT, multicast, documentation, benchmarking and other special-use ranges (RFC 6890 and its
 * IANA registries): no address a stranger's URL should make Strix reach. An IPv4-mapped IPv6
 * address is checked as the IPv4 address it carries.
 */
const specialUse = [
  '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
  '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24',
  '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4',
  '::/96', '64:ff9b::/96', '64:ff9b:1::/48', '100::/64', '2001::/23', '2001:db8::/32', '2002::/16',
  'fc00::/7', 'fe80::/10', 'fec0::/10', 'ff00::/8',
];

function blockListOf(rules: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of rules) {
    const rule = parseAddressRule(text);
    list.addSubnet(rule.address, rule.prefix, rule.family);
  }
  return list;
}

const forbidden = blockListOf(specialUse);

/** `::ffff:7f00:1` (an IPv4-mapped address written in hex, as URLs normalise it) → `127.0.0.1`. */
function unmapped(address: string): string {
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return address;
  const [high, low] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** `STRIX_OUTBOUND_ALLOW`: CIDR blocks and host names that may be reached although they are special-use. */
export interface OutboundAllow { blocks: string[]; hosts: string[] }

/** Parses `10.0.0.0/8,::1/128,keys.internal` (throws on an entry that is neither a CIDR block nor a host name). */
export function parseOutboundAllow(text: string | undefined): OutboundAllow {
  const allow: OutboundAllow = { blocks: [], hosts: [] };
  for (const entry of (text ?? '').split(',').map((part) => part.trim().toLowerCase()).filter(Boolean)) {
    if (isIP(entry.split('/')[0]!)) {
      parseAddressRule(entry);
      allow.blocks.push(entry);
    } else if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(entry)) {
      allow.hosts.push(entry);
    } else {
      throw new Error(`"${entry}" is neither a CIDR block nor a host name`);
    }
  }
  return allow;
}

/** Whether `address`, resolved for `host`, may be connected to under `allow`. */
export function outboundGuard(allow: OutboundAllow): (host: string, address: string) => boolean {
  const allowed = blockListOf(allow.blocks);
  return (host, address) => {
    if (allow.hosts.includes(host.toLowerCase())) return true;
    const ip = canonicalAddress(unmapped(address));
    return allowed.check(ip.address, ip.family) || !forbidden.check(ip.address, ip.family);
  };
}

/**
 * The URL rule for fetches the specs want over TLS (request_uri, jwks_uri, sector_identifier_uri,
 * hooks): https, or http to a loopback host, which the address guard then refuses unless the
 * operator allowed loopback (development machines, tests).
 */
export function httpsOrLoopback(url: URL): boolean {
  if (url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHost(url.hostname);
}

/** Loopback hosts as a URL names them: the IP literals (RFC 8252 §7.3) and `localhost`, which resolves to them. */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/** `Strix-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`, for webhooks and the token hook. */
export function signature(secret: string, time: number, body: string): string {
  return `t=${time},v1=${createHmac('sha256', secret).update(`${time}.${body}`).digest('hex')}`;
}

/**
 * A fetch for jose's remote key sets (its customFetch hook) answered by the outbound module: the
 * address guard, the timeout and size cap of `limits`, no redirects. The keys of a client's jwks_uri
 * and of an upstream provider are fetched this one way.
 */
export function keySetFetch(outbound: Outbound, limits: { purpose: string; timeoutMs: number; maxBytes: number }): FetchImplementation {
  return async (url, options) => {
    const headers: Record<string, string> = {};
    options.headers.forEach((value, name) => { headers[name] = value; });
    const response = await outbound.request(url, { ...limits, headers });
    return new Response(response.status === 204 || response.status === 304 ? null : new Uint8Array(response.body), { status: response.status, headers: response.headers });
  };
}

export function createOutbound(allow: OutboundAllow, log: Pick<Logger, 'warn'>): Outbound {
  const permitted = outboundGuard(allow);
  const refuse = (purpose: string, host: string): OutboundError => {
    log.warn({ event: 'outbound_refused', purpose, host }, 'outbound request refused: the address is private or special-use');
    return new OutboundError('refused', `${host} is not an address Strix may connect to`);
  };

  function once(url: URL, r: OutboundRequest, signal: AbortSignal): Promise<OutboundResponse> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return Promise.reject(new OutboundError('unreachable', 'not an http(s) URL'));
    if (isIP(host) && !permitted(host, host)) return Promise.reject(refuse(r.purpose, host));
    const lookup: LookupFunction = (hostname, options, callback) => {
      dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
        if (error) return callback(error, '', 0);
        // Every address the name has must be permitted: otherwise the one picked could be the forbidden one.
        if (addresses.length === 0 || !addresses.every((a) => permitted(hostname, a.address))) {
          return callback(refuse(r.purpose, hostname), '', 0);
        }
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        callback(null, addresses[0]!.address, addresses[0]!.family);
      });
    };
    return new Promise((resolve, reject) => {
      const fail = (error: unknown) => reject(
        error instanceof OutboundError ? error
          : signal.aborted ? new OutboundError('timeout', `no answer within ${r.timeoutMs} ms`)
            : new OutboundError('unreachable', (error as Error).message),
      );
      const body = r.body === undefined ? undefined : Buffer.from(r.body);
      const headers = { ...r.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
      const send = url.protocol === 'https:' ? https.request : http.request;
      const request = send(url, { method: r.method ?? 'GET', headers, lookup, signal, agent: false }, (response) => {
        const declared = Number(response.headers['content-length'] ?? 0);
        if (declared > r.maxBytes) {
          response.destroy();
          return reject(new OutboundError('too_large', `the answer exceeds ${r.maxBytes} bytes`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > r.maxBytes) {
            response.destroy();
            reject(new OutboundError('too_large', `the answer exceeds ${r.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', fail);
        response.on('end', () => {
          const answer = Buffer.concat(chunks);
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) responseHeaders.append(name, one);
          }
          resolve({ status: response.statusCode ?? 0, headers: responseHeaders, body: answer, text: () => answer.toString('utf8') });
        });
      });
      request.on('error', fail);
      request.end(body);
    });
  }

  return {
    async request(target, r) {
      const signal = AbortSignal.timeout(r.timeoutMs);
      let url = new URL(target);
      for (let hops = 0; ; hops++) {
        const response = await once(url, r, signal);
        const location = response.headers.get('location');
        if (response.status < 300 || response.status > 399 || !location || hops >= (r.redirects ?? 0)) return response;
        const next = new URL(location, url);
        // A redirect never downgrades from https.
        if (url.protocol === 'https:' && next.protocol !== 'https:') return response;
        url = next;
      }
    },
  };
}

