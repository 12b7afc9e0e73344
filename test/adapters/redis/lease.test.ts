import assert from 'node:assert/strict';
import { redisCheckpointStore, ShardLease } from '../../../adapters/redis/index.js';
import { isChatshiftError, type ChatshiftError } from '../../../src/errors.js';
import { describeWithRedis, RedisServer, type TestRedisClient } from '../../support/redis.js';
import { sleep, waitFor } from '../../support/wait.js';

describeWithRedis('ShardLease', function () {
  this.timeout(20_000);
  let server: RedisServer;
  let client: TestRedisClient;
  let n = 0;
  before(async () => {
    server = await RedisServer.start();
    client = await server.client();
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  const lease = (shard: string, owner: string, ttlMs: number, lost: ChatshiftError[] = []) =>
    new ShardLease(client, { shard, owner, ttlMs, prefix: 'chatshift', onLost: (e) => lost.push(e) });

  it('has one holder at a time; each new holder gets a larger epoch', async () => {
    const shard = `lease-${++n}`;
    const a = lease(shard, 'a', 1000);
    const b = lease(shard, 'b', 1000);
    const e1 = await a.acquire();
    assert.equal(e1, 1);
    assert.equal(await b.acquire(), undefined, 'held by a');
    await a.release();
    const e2 = await b.acquire();
    assert.ok(e2 !== undefined && e2 > e1);
    await b.release();
  });

  it('tells how long the shard had no owner (vacantMs, Redis time): since the release, or since the lease expired', async () => {
    const shard = `lease-${++n}`;
    // Bounds from this process's clock around each command (Redis's TIME is the same machine's
    // clock, read in ms): a loaded machine delays replies, never the order of the instants.
    const ttlMs = 1000;
    const a = lease(shard, 'a', ttlMs);
    await a.acquire();
    assert.equal(a.vacantMs, undefined, "a shard's first owner");
    const releasing = Date.now();
    await a.release();
    await sleep(100);
    const b = lease(shard, 'b', ttlMs);
    await b.acquire();
    const elapsed = Date.now() - releasing;
    assert.ok(
      b.vacantMs !== undefined && b.vacantMs >= 90 && b.vacantMs <= elapsed + 2,
      `${b.vacantMs} within [90, ${elapsed}]`,
    );
    // b stops renewing (a crash): the shard is vacant from its lease's expiry, not from b's stop.
    b.abandon();
    const abandoned = Date.now();
    const c = lease(shard, 'c', ttlMs);
    let epoch: number | undefined;
    while (epoch === undefined) {
      epoch = await c.acquire();
      if (epoch === undefined) await sleep(20);
    }
    const sinceAbandon = Date.now() - abandoned;
    assert.ok(c.vacantMs !== undefined, 'measured');
    // b's last renewal (every quarter TTL) left its lease at least 3/4 TTL to live after the
    // stop: the vacancy counts from that expiry, so it is clearly shorter than the time since the
    // stop (counted from the stop it would equal it; 650 ms of slack for a late renewal).
    assert.ok(c.vacantMs <= sinceAbandon - 100, `${c.vacantMs} <= ${sinceAbandon} - 100`);
    await c.release();
  });

  it('renews itself past its TTL while the owner is live', async () => {
    const shard = `lease-${++n}`;
    const lost: ChatshiftError[] = [];
    // A 3 s TTL: the owner fences itself at 3/4 TTL without a confirmed renewal, and a loaded
    // 2-core machine has stalled this process for longer than the 225 ms a 300 ms TTL allows.
    const ttlMs = 3000;
    const a = lease(shard, 'a', ttlMs, lost);
    await a.acquire();
    const until = Date.now() + ttlMs + 500;
    await waitFor(() => Date.now() > until, 'past one TTL', ttlMs * 2);
    assert.ok(a.valid(), `renewed: ${lost.map((e) => e.message).join('; ')}`);
    assert.deepEqual(lost, []);
    assert.equal(await lease(shard, 'b', ttlMs).acquire(), undefined);
    await a.release();
  });

  it('fences itself (ERR_LEASE_LOST) while Redis is paused, before the lease can pass to another owner', async () => {
    const shard = `lease-${++n}`;
    const lost: ChatshiftError[] = [];
    const ttlMs = 400;
    const a = lease(shard, 'a', ttlMs, lost);
    const epoch = await a.acquire();
    const other = await server.client();
    try {
      await other.sendCommand(['CLIENT', 'PAUSE', String(ttlMs * 3), 'ALL']);
      await waitFor(() => lost.length > 0, 'the owner to fence itself', 5000);
      assert.ok(isChatshiftError(lost[0], 'ERR_LEASE_LOST'));
      assert.equal(a.valid(), false);
      // b's attempts wait for the pause to end; then the old lease expires and b takes it over.
      const b = lease(shard, 'b', ttlMs);
      let e2: number | undefined;
      for (let i = 0; e2 === undefined && i < 100; i++) {
        // An attempt sent during the pause gets no answer in time (ERR_TIMEOUT): try again.
        e2 = await b.acquire().catch(() => undefined);
        if (e2 === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(e2 !== undefined && epoch !== undefined && e2 > epoch, 'taken over with a larger epoch');
      // The old owner's late save is fenced.
      await assert.rejects(
        redisCheckpointStore(client, { shard, epoch: epoch! }).save('messaging', { a: { seq: 1 } }),
        (e: unknown) => isChatshiftError(e, 'ERR_CHECKPOINT_FENCED'),
      );
      await b.release();
    } finally {
      await other.close();
    }
  });

  it('a renewal refused (the key was taken) is ERR_LEASE_LOST at once', async () => {
    const shard = `lease-${++n}`;
    const lost: ChatshiftError[] = [];
    const a = lease(shard, 'a', 300, lost);
    await a.acquire();
    await client.set(`chatshift:{${shard}}:lease`, 'intruder|99', { PX: 5000 });
    await waitFor(() => lost.length > 0, 'a refused renewal', 5000);
    assert.ok(isChatshiftError(lost[0], 'ERR_LEASE_LOST'));
  });
});
