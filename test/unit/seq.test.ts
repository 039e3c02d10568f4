import * as assert from 'assert';
import { seqAdd, seqDiff, seqDistance, seqGe, seqGt, seqInWindow, seqLe, seqLt, seqMax, segmentSpace } from '../../src/core/seq';

describe('sequence arithmetic (mod 2^32)', () => {
  const nearTop = 0xffff_fff0;

  it('adds across the wrap', () => {
    assert.strictEqual(seqAdd(nearTop, 0x20), 0x10);
    assert.strictEqual(seqAdd(0xffff_ffff, 1), 0);
    assert.strictEqual(seqAdd(0, -1), 0xffff_ffff);
  });

  it('compares across the wrap by signed difference', () => {
    assert.ok(seqLt(nearTop, 0x10));
    assert.ok(seqGt(0x10, nearTop));
    assert.ok(seqLe(5, 5) && seqGe(5, 5));
    assert.ok(!seqLt(5, 5));
    assert.strictEqual(seqDiff(nearTop, 0x10), 0x20);
    assert.strictEqual(seqDiff(0x10, nearTop), -0x20);
    assert.strictEqual(seqMax(nearTop, 0x10), 0x10);
  });

  it('measures unsigned distance and window membership across the wrap', () => {
    assert.strictEqual(seqDistance(nearTop, 0x10), 0x20);
    assert.ok(seqInWindow(0x05, nearTop, 0x20));
    assert.ok(!seqInWindow(0x10, nearTop, 0x20));
    assert.ok(seqInWindow(nearTop, nearTop, 1));
    assert.ok(!seqInWindow(nearTop, nearTop, 0));
  });

  it('counts SYN and FIN as one sequence number each', () => {
    assert.strictEqual(segmentSpace(0, true, false), 1);
    assert.strictEqual(segmentSpace(10, false, true), 11);
    assert.strictEqual(segmentSpace(0, false, false), 0);
  });
});
