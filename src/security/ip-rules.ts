// IP allow and deny lists (docs/security.md "IP allow and deny lists"): addresses and CIDR blocks,
// IPv4 and IPv6, per realm (every request under /realms/{realm}/) and per client (where the client
// is known). Matching is node's net.BlockList. Deny wins; an empty allow list allows every address.
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { OAuthError, PageError } from '../http/errors.js';

type Family = 'ipv4' | 'ipv6';
export interface AddressRule { address: string; prefix: number; family: Family }

/** What a realm's settings and a client's metadata both carry. */
export interface IpRules { ip_allow?: readonly string[]; ip_deny?: readonly string[] }

/** `203.0.113.7`, `203.0.113.0/24`, `2001:db8::1` or `2001:db8::/32` → a rule; anything else throws. */
export function parseAddressRule(text: string): AddressRule {
  const parts = text.trim().split('/');
  const address = parts[0] ?? '';
  // Zone ids (fe80::1%eth0) name an interface of this host, which means nothing in a shared rule.
  const family: Family | undefined = address.includes('%') ? undefined : isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : undefined;
  if (family === undefined || parts.length > 2) throw new Error(`"${text}" is not an IP address or CIDR block`);
  const bits = family === 'ipv4' ? 32 : 128;
  if (parts.length === 1) return { address, prefix: bits, family };
  const prefix = parts[1]!;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) throw new Error(`"${text}": the prefix length must be 0-${bits}`);
  return { address, prefix: Number(prefix), family };
}

/** An IPv4-mapped IPv6 address (::ffff:192.0.2.1, what a dual-stack socket reports) is its IPv4 address. */
export function canonicalAddress(ip: string): { address: string; family: Family } {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mapped) return { address: mapped[1]!, family: 'ipv4' };
  return { address: ip, family: isIPv6(ip) ? 'ipv6' : 'ipv4' };
}

// Realms and clients are cached, so their lists are the same arrays from request to request: each
// list is compiled once, and the verdict for an address it has seen is a map lookup. A client's
// lists are new arrays when the client is read again, which only costs compiling them again.
interface CompiledRules { list: BlockList; verdicts: Map<string, boolean> }
const compiled = new WeakMap<readonly string[], CompiledRules>();
/** Addresses whose verdict one list remembers; past that it starts again. */
const maxVerdicts = 10_000;

function compile(rules: readonly string[]): CompiledRules {
  let rulesCompiled = compiled.get(rules);
  if (!rulesCompiled) {
    const list = new BlockList();
    for (const text of rules) {
      const rule = parseAddressRule(text);
      list.addSubnet(rule.address, rule.prefix, rule.family);
    }
    compiled.set(rules, rulesCompiled = { list, verdicts: new Map() });
  }
  return rulesCompiled;
}

function listed(rules: readonly string[], ip: string): boolean {
  const { list, verdicts } = compile(rules);
  let verdict = verdicts.get(ip);
  if (verdict === undefined) {
    const { address, family } = canonicalAddress(ip);
    verdict = (family === 'ipv4' ? isIPv4(address) : isIPv6(address)) && list.check(address, family);
    if (verdicts.size >= maxVerdicts) verdicts.clear();
    verdicts.set(ip, verdict);
  }
  return verdict;
}

/** Deny wins; an absent or empty allow list allows every address that is not denied. */
export function addressAllowed(rules: IpRules, ip: string): boolean {
  if (rules.ip_deny?.length && listed(rules.ip_deny, ip)) return false;
  return !rules.ip_allow?.length || listed(rules.ip_allow, ip);
}

/** Refuses a request from an address the client's own lists exclude; `page` for the front channel (never a redirect). */
export function assertClientAddressAllowed(client: { metadata: IpRules; clientId: string }, ip: string, channel: 'page' | 'json'): void {
  if (addressAllowed(client.metadata, ip)) return;
  if (channel === 'page') throw new PageError('Access denied', 'This application cannot be used from your network address.', 403);
  throw new OAuthError('access_denied', 'this client may not be used from this address', 403);
}

/**
 * Checks the realm's lists for every request under /realms/{realm}/, after the realm is resolved:
 * a browser gets a 403 page, anything else 403 {"error":"access_denied"}.
 */
export function realmIpRules(app: FastifyInstance): void {
  app.addHook('preHandler', (request, _reply, done) => {
    const realm = request.realm;
    if (!realm || addressAllowed(realm.settings, request.ip)) return done();
    request.log.info({ realm: realm.name, event: 'ip_refused', ip: request.ip }, 'request refused by the realm\'s IP rules');
    if ((request.headers.accept ?? '').includes('text/html')) {
      return done(new PageError('Access denied', 'This sign-in service cannot be used from your network address.', 403));
    }
    done(new OAuthError('access_denied', 'requests from this address are not allowed', 403));
  });
}
