// The outbound address guard's classification (src/http/outbound.ts): which resolved addresses
// Strix may connect to, and what STRIX_OUTBOUND_ALLOW opens.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { outboundGuard, parseOutboundAllow } from '../../src/http/outbound.js';

const guard = outboundGuard(parseOutboundAllow(''));

describe('the outbound address guard', () => {
  const refused = [
    '127.0.0.1', '127.1.2.3', '0.0.0.0', '10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1',
    '100.64.0.1', '100.100.100.200', '224.0.0.1', '239.255.255.250', '255.255.255.255', '240.0.0.1', '192.0.2.1', '198.18.0.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd00:ec2::254', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe', '2002:7f00:1::', '2001:db8::1',
  ];
  for (const address of refused) {
    test(`${address} is refused`, () => assert.equal(guard('receiver.example', address), false));
  }
  for (const address of ['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:8.8.8.8']) {
    test(`${address} (public) is allowed`, () => assert.equal(guard('receiver.example', address), true));
  }

  test('STRIX_OUTBOUND_ALLOW opens the CIDR blocks and host names it names, and nothing else', () => {
    const allowed = outboundGuard(parseOutboundAllow('10.1.0.0/16, ::1/128,Keys.Internal'));
    assert.equal(allowed('any.example', '10.1.2.3'), true);
    assert.equal(allowed('any.example', '10.2.0.1'), false);
    assert.equal(allowed('any.example', '::1'), true);
    assert.equal(allowed('any.example', '127.0.0.1'), false);
    assert.equal(allowed('keys.internal', '192.168.7.7'), true);
    assert.equal(allowed('other.internal', '192.168.7.7'), false);
  });

  test('an entry of STRIX_OUTBOUND_ALLOW that is neither a CIDR block nor a host name stops the start, naming the setting', () => {
    assert.throws(() => loadConfig({ STRIX_OUTBOUND_ALLOW: '10.0.0.0/33' }), /STRIX_OUTBOUND_ALLOW/);
    assert.throws(() => loadConfig({ STRIX_OUTBOUND_ALLOW: 'http://x' }), /STRIX_OUTBOUND_ALLOW/);
    assert.deepEqual(loadConfig({}).outboundAllow, { blocks: [], hosts: [] });
  });
});
