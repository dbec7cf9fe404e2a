// STRIX_TRUST_PROXY (docs/security.md "Client addresses and proxies"): off by default, and only the
// forms Fastify can apply safely; a bad value stops the start with a message that names it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, trustProxyOption } from '../../src/config.js';

const trustProxy = (value?: string, flag?: string) =>
  loadConfig(value === undefined ? {} : { STRIX_TRUST_PROXY: value }, flag === undefined ? {} : { trust_proxy: flag }).trustProxy;

describe('STRIX_TRUST_PROXY', () => {
  test('is off by default: the client address is the TCP peer', () => {
    assert.equal(trustProxy(), false);
    assert.equal(trustProxy(''), false);
    assert.equal(trustProxy('false'), false);
  });

  test('true trusts every hop; a number trusts that many hops', () => {
    assert.equal(trustProxy('true'), true);
    assert.equal(trustProxy('TRUE'), true);
    assert.equal(trustProxy('2'), 2);
  });

  test('a hop count becomes a function trusting the peer and the hops before it', () => {
    const option = trustProxyOption(2);
    assert.equal(typeof option, 'function');
    const trusted = option as (address: string, hop: number) => boolean;
    assert.deepEqual([0, 1, 2].map((hop) => trusted('192.0.2.1', hop)), [true, true, false]);
    assert.deepEqual(trustProxyOption(['10.0.0.1']), ['10.0.0.1']);
    assert.equal(trustProxyOption(false), false);
  });

  test('a list of proxy addresses and CIDR blocks (IPv4, IPv6, proxy-addr range names) is kept as a list', () => {
    assert.deepEqual(trustProxy('127.0.0.1'), ['127.0.0.1']);
    assert.deepEqual(trustProxy(' 10.0.0.0/8, 2001:db8::/32 ,loopback'), ['10.0.0.0/8', '2001:db8::/32', 'loopback']);
  });

  test('the CLI flag wins over the environment', () => {
    assert.deepEqual(trustProxy('true', '10.1.2.3'), ['10.1.2.3']);
  });

  test('a config file value may be a boolean, a number or a list', () => {
    // readConfigFile turns JSON values into strings: true → "true", 1 → "1", ["a","b"] → "a,b".
    assert.deepEqual(loadConfig({}, { trust_proxy: String(['10.0.0.1', '10.0.0.2']) }).trustProxy, ['10.0.0.1', '10.0.0.2']);
  });

  test('anything else stops the start and names the setting', () => {
    for (const bad of ['yes', '0', '101', '-1', '10.0.0.0/33', 'proxy.example.com', ',', '10.0.0.1,nope']) {
      assert.throws(() => trustProxy(bad), (error: unknown) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.match(error.message, /STRIX_TRUST_PROXY/);
        return true;
      }, bad);
    }
  });
});
