// IP allow and deny lists (src/security/ip-rules.ts): parsing of addresses and CIDR blocks, IPv4 and
// IPv6, and the rule that deny wins and an empty allow list allows every address.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressAllowed, canonicalAddress, parseAddressRule } from '../../src/security/ip-rules.js';
import { parseRealmFile, RealmFileError } from '../../src/admin/realm-file.js';

describe('IP rules', () => {
  test('addresses and CIDR blocks of both families parse; the prefix defaults to the full address', () => {
    assert.deepEqual(parseAddressRule('203.0.113.7'), { address: '203.0.113.7', prefix: 32, family: 'ipv4' });
    assert.deepEqual(parseAddressRule('203.0.113.0/24'), { address: '203.0.113.0', prefix: 24, family: 'ipv4' });
    assert.deepEqual(parseAddressRule('2001:db8::/32'), { address: '2001:db8::', prefix: 32, family: 'ipv6' });
    assert.deepEqual(parseAddressRule('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
    assert.deepEqual(parseAddressRule('2001:db8:0:0:0:0:0:0/128'), { address: '2001:db8:0:0:0:0:0:0', prefix: 128, family: 'ipv6' });
  });

  test('anything that is not an address or a CIDR block is refused', () => {
    for (const bad of ['', 'localhost', '203.0.113.0/33', '2001:db8::/129', '203.0.113.256', '10.0.0.0/8/8', '10.0.0.0/', '10.0.0.0/-1', 'fe80::1%eth0', '2001:db8::g/64']) {
      assert.throws(() => parseAddressRule(bad), /is not an IP address|prefix length/, bad);
    }
  });

  test('IPv6 blocks match the addresses inside them, written in any form', () => {
    const rules = { ip_allow: ['2001:db8:abcd::/48'] };
    assert.equal(addressAllowed(rules, '2001:db8:abcd:12::1'), true);
    assert.equal(addressAllowed(rules, '2001:0db8:abcd:0012:0000:0000:0000:0001'), true);
    assert.equal(addressAllowed(rules, '2001:db8:abce::1'), false);
    assert.equal(addressAllowed(rules, '203.0.113.7'), false);
  });

  test('an IPv4-mapped IPv6 address (a dual-stack socket) is matched as its IPv4 address', () => {
    assert.deepEqual(canonicalAddress('::ffff:192.0.2.1'), { address: '192.0.2.1', family: 'ipv4' });
    assert.equal(addressAllowed({ ip_deny: ['192.0.2.0/24'] }, '::ffff:192.0.2.1'), false);
    assert.equal(addressAllowed({ ip_allow: ['192.0.2.0/24'] }, '::ffff:192.0.2.1'), true);
  });

  test('deny wins over allow; an empty allow list allows every address not denied', () => {
    assert.equal(addressAllowed({}, '198.51.100.1'), true);
    assert.equal(addressAllowed({ ip_allow: [], ip_deny: [] }, '198.51.100.1'), true);
    const rules = { ip_allow: ['10.0.0.0/8'], ip_deny: ['10.1.0.0/16'] };
    assert.equal(addressAllowed(rules, '10.2.3.4'), true);
    assert.equal(addressAllowed(rules, '10.1.3.4'), false);
    assert.equal(addressAllowed(rules, '11.0.0.1'), false);
    assert.equal(addressAllowed({ ip_deny: ['2001:db8::/32'] }, '2001:db8::1'), false);
    assert.equal(addressAllowed({ ip_deny: ['2001:db8::/32'] }, '192.0.2.1'), true);
  });

  test('::/0 covers every address: net.BlockList sees IPv4 addresses as ::ffff:a.b.c.d', () => {
    assert.equal(addressAllowed({ ip_deny: ['::/0'] }, '2001:db8::1'), false);
    assert.equal(addressAllowed({ ip_deny: ['::/0'] }, '192.0.2.1'), false);
    assert.equal(addressAllowed({ ip_allow: ['::ffff:192.0.2.0/120'] }, '192.0.2.1'), true);
  });

  test('a realm file with a malformed rule names the setting', () => {
    const file = (extra: Record<string, unknown>) => ({ realms: [{ name: 'demo', ...extra }] });
    assert.throws(() => parseRealmFile(file({ ip_deny: ['10.0.0.0/40'] }), 'realm.json'), (error: unknown) =>
      error instanceof RealmFileError && /ip_deny/.test(error.message) && /prefix length/.test(error.message));
    assert.throws(() => parseRealmFile(file({ ip_allow: '10.0.0.0/8' }), 'realm.json'), /ip_allow: must be a list of strings/);
    assert.throws(() => parseRealmFile(file({ clients: [{ client_id: 'c', grant_types: ['client_credentials'], client_secret: 's', ip_allow: ['nope'] }] }), 'realm.json'),
      /clients\[0\]\.ip_allow: "nope" is not an IP address/);
    const [realm] = parseRealmFile(file({ ip_allow: ['2001:db8::/32', ' 10.0.0.0/8 '] }), 'realm.json');
    assert.deepEqual(realm!.settings.ip_allow, ['2001:db8::/32', '10.0.0.0/8']);
  });

  test('rate_limits in a realm file merge over the defaults and refuse typos and bad numbers', () => {
    const file = (rateLimits: unknown) => ({ realms: [{ name: 'demo', rate_limits: rateLimits }] });
    const [realm] = parseRealmFile(file({ login_per_ip: { max: 10 } }), 'realm.json');
    assert.deepEqual(realm!.settings.rate_limits.login_per_ip, { max: 10, window_seconds: 60 });
    assert.deepEqual(realm!.settings.rate_limits.token_per_ip, { max: 6000, window_seconds: 60 });
    assert.equal(realm!.settings.rate_limits.enabled, true);
    assert.throws(() => parseRealmFile(file({ login_per_ipp: { max: 1 } }), 'realm.json'), /rate_limits\.login_per_ipp: is not a rate_limits setting/);
    assert.throws(() => parseRealmFile(file({ token_per_client: { max: 0 } }), 'realm.json'), /rate_limits\.token_per_client\.max: must be a positive whole number of requests/);
    assert.throws(() => parseRealmFile(file({ token_per_client: { window: 5 } }), 'realm.json'), /token_per_client\.window: is not a limit field/);
    assert.throws(() => parseRealmFile(file({ token_per_client: 5 }), 'realm.json'), /must be an object/);
    assert.throws(() => parseRealmFile(file({ enabled: 'no' }), 'realm.json'), /rate_limits\.enabled: must be true or false/);
    assert.throws(() => parseRealmFile(file([]), 'realm.json'), /rate_limits: must be an object/);
  });
});
