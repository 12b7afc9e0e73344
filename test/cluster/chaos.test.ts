import assert from 'node:assert/strict';
import { describeWithRedis } from '../support/redis.js';
import { run } from './scenarios.js';

// The bounded chaos run of npm test: every kind of trouble once on one cluster of child processes
// (kill -9, scale-up, SIGSTOP past the lease, a flag flip during a takeover, redis-server
// restarted with AOF, Redis paused past the lease, SIGTERM scale-down). `npm run cluster` runs
// each scenario on its own, with N = 1, 2, 4.
describeWithRedis('scale-out chaos: instances as child processes on one Redis', function () {
  this.timeout(240_000);

  it('loses nothing; re-delivers only in shards a crash or fence interrupted; a fenced owner does no work', async () => {
    // A 3 s lease: a loaded 2-core CI machine stalls instances' event loops for over a second.
    const row = await run('tour', {
      shards: 12,
      instances: 2,
      leaseTtlMs: 3000,
      phaseMs: 2000,
      pollIntervalMs: 100,
    });
    const summary = JSON.stringify(row);
    assert.equal(row.lost, 0, summary);
    assert.ok(row.duplicatesOnlyInInterruptedShards, summary);
    // At most the unsaved batch of each interrupted ownership, again with the same ids.
    assert.ok(row.duplicatesWithinBound, summary);
    assert.ok(row.duplicated <= row.duplicateBound, summary);
    assert.equal(row.fencedOwnerWork, 0, summary);
    assert.equal(row.overlappingRequests, 0, summary);
    assert.ok(row.maxSocketsPerAgent <= 1, summary);
    assert.equal(row.supersededSocketFrames, 0, summary);
    assert.ok(row.selfFences > 0, `the SIGSTOP and the Redis pause fence owners: ${summary}`);
    assert.ok(row.takeoverMsMax !== null && Number.isFinite(row.takeoverMsMax), summary);
  });
});
