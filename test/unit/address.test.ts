import * as assert from 'assert';
import { formatIPv6, parseIPv6, parseIPv4 } from '../../src/core/model/address';

describe('addresses', () => {
  const v6 = (s: string): string => {
    const b = new Uint8Array(16);
    assert.ok(parseIPv6(s, b), s);
    return formatIPv6(b);
  };
  it('prints IPv6 in RFC 5952 form', () => {
    assert.strictEqual(v6('2001:0db8:0000:0000:0000:0000:0002:0001'), '2001:db8::2:1');
    assert.strictEqual(v6('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
    assert.strictEqual(v6('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
    assert.strictEqual(v6('0:0:0:0:0:0:0:1'), '::1');
    assert.strictEqual(v6('::'), '::');
    assert.strictEqual(v6('fe80::'), 'fe80::');
    assert.strictEqual(v6('FD88::2'), 'fd88::2');
    assert.strictEqual(v6('::ffff:10.1.2.3'), '::ffff:10.1.2.3');
  });
  it('rejects malformed addresses', () => {
    const b = new Uint8Array(16);
    assert.ok(!parseIPv6('1::2::3', b));
    assert.ok(!parseIPv6('12345::', b));
    assert.ok(!parseIPv4('1.2.3', b));
    assert.ok(!parseIPv4('1.2.3.256', b));
  });
});
