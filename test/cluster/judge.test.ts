import assert from 'node:assert/strict';
import type { Delivery, Ownership } from './cluster.js';
import { judgeDuplicates } from './judge.js';

const d = (shard: string, epoch: number, at: number): Delivery => ({ instance: 'i', shard, epoch, at });
const own = (shard: string, epoch: number, change: Ownership['change'], reason?: string): Ownership => ({
  shard,
  epoch,
  change,
  instance: 'i',
  name: 'i',
  at: 0,
  ...(reason === undefined ? {} : { reason }),
});

describe('the chaos judge of duplicates', () => {
  // s1: epoch 1 saved (messaging) at t=100, then was killed; epoch 2 took over and stopped
  // gracefully at the end of the run.
  const ownership = [
    own('s1', 1, 'owned'),
    own('s1', 2, 'owned'),
    own('s2', 1, 'owned'),
    own('s1', 2, 'released', 'handoff'),
  ];
  const saves = new Map([
    ['s1|1|messaging', 100],
    ['s2|1|messaging', 100],
  ]);

  it('accepts repeats of the unsaved batch by a later owner, and bounds them by that batch', () => {
    const deliveries = new Map([
      ['messaging:c1:1', [d('s1', 1, 50)]],
      ['messaging:c1:2', [d('s1', 1, 120), d('s1', 2, 300)]],
      ['messaging:c1:3', [d('s1', 1, 130)]],
    ]);
    const v = judgeDuplicates(deliveries, ownership, saves);
    assert.deepEqual(v, { bound: 2, withinBound: true, violations: [] });
  });

  it('rejects a repeat of what was saved, a repeat after a graceful handoff, and one by the same owner', () => {
    const saved = judgeDuplicates(
      new Map([['messaging:c1:1', [d('s1', 1, 50), d('s1', 2, 300)]]]),
      ownership,
      saves,
    );
    assert.equal(saved.withinBound, false);
    assert.match(saved.violations[0]!, /before the last accepted save/);
    const handoff = judgeDuplicates(
      new Map([['messaging:c1:2', [d('s1', 1, 120), d('s1', 2, 300)]]]),
      [...ownership, own('s1', 1, 'released', 'handoff')],
      saves,
    );
    assert.match(handoff.violations[0]!, /graceful handoff/);
    const same = judgeDuplicates(
      new Map([['messaging:c2:9', [d('s2', 1, 120), d('s2', 1, 130)]]]),
      ownership,
      saves,
    );
    assert.match(same.violations[0]!, /not by a later owner/);
  });
});
