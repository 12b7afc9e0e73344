import assert from 'node:assert/strict';
import { redisCheckpointStore, type RedisClientLike } from '../../../adapters/redis/index.js';
import { isChatshiftError } from '../../../src/errors.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { describeWithRedis, RedisServer, type TestRedisClient } from '../../support/redis.js';

/** The client, counting the commands sent through it. */
function counting(inner: RedisClientLike): RedisClientLike & { sent: string[] } {
  const sent: string[] = [];
  return { sent, sendCommand: (args) => (sent.push(args[0] ?? ''), inner.sendCommand(args)) };
}

describeWithRedis('redisCheckpointStore', function () {
  this.timeout(20_000);
  let server: RedisServer;
  let client: TestRedisClient;
  let n = 0;
  const shard = () => `shard-${++n}`;
  before(async () => {
    server = await RedisServer.start({ appendonly: true });
    client = await server.client();
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  it('rejects a save from a stale epoch with ERR_CHECKPOINT_FENCED and writes nothing of it', async () => {
    const id = shard();
    await client.set(`chatshift:{${id}}:epoch`, '3');
    const metrics = counterMetrics();
    const old = redisCheckpointStore(client, { shard: id, epoch: 2, metrics });
    const current = redisCheckpointStore(client, { shard: id, epoch: 3 });
    await current.save('messaging', { a: { seq: 1 } });
    await assert.rejects(
      old.save('messaging', { a: { seq: 9 }, b: { seq: 1 } }),
      (e: unknown) => isChatshiftError(e, 'ERR_CHECKPOINT_FENCED') && e.details['current'] === 3,
    );
    assert.deepEqual(await current.load('messaging'), { a: { seq: 1 } });
    assert.equal(metrics.snapshot()['lease.fenced'], 1);
    // An epoch read at each save: once it catches up, saves go through.
    let epoch = 2;
    const follows = redisCheckpointStore(client, { shard: id, epoch: () => epoch });
    await assert.rejects(follows.save('messaging', { a: { seq: 2 } }));
    epoch = 4;
    await follows.save('messaging', { a: { seq: 2 } });
    assert.equal((await current.load('messaging')).a?.seq, 2);
  });

  it('refuses saves without a round trip while owned() is false (a stopped owner flushes nothing)', async () => {
    const c = counting(client);
    let owned = true;
    const s = redisCheckpointStore(c, { shard: shard(), epoch: 1, owned: () => owned });
    await s.save('messaging', { a: { seq: 1 } });
    owned = false;
    c.sent.length = 0;
    await assert.rejects(s.save('messaging', { a: { seq: 2 } }), (e: unknown) =>
      isChatshiftError(e, 'ERR_CHECKPOINT_FENCED'),
    );
    assert.deepEqual(c.sent, []);
    assert.deepEqual(await s.load('messaging'), { a: { seq: 1 } });
  });

  it('never moves a cursor backwards nor reopens a closed conversation', async () => {
    const metrics = counterMetrics();
    const s = redisCheckpointStore(client, { shard: shard(), epoch: 1, metrics });
    await s.save('legacy-chat', { a: { seq: 10, meta: { x: 1 } }, c: { seq: 4, closed: true } });
    await s.save('legacy-chat', { a: { seq: 7, meta: { x: 2 } }, b: { seq: 1 }, c: { seq: 4 } });
    assert.deepEqual(await s.load('legacy-chat'), {
      a: { seq: 10, meta: { x: 1 } },
      b: { seq: 1 },
      c: { seq: 4, closed: true },
    });
    await s.save('legacy-chat', { a: { seq: 10, meta: { x: 3 } } });
    assert.deepEqual((await s.load('legacy-chat')).a, { seq: 10, meta: { x: 3 } }, 'same cursor, new meta');
  });

  it('keeps at most maxClosed closed conversations per backend, the newest; open ones all kept, and a closed one stays closed', async () => {
    const id = shard();
    const s = redisCheckpointStore(client, { shard: id, epoch: 1, maxClosed: 3 });
    await s.save('messaging', { open1: { seq: 1 } });
    await s.save('legacy-chat', { k: { seq: 1, closed: true } });
    for (let i = 0; i < 10; i++) await s.save('messaging', { [`closed${i}`]: { seq: i, closed: true } });
    // Saved again closed (a flush repeating it): its place in the order does not move.
    await s.save('messaging', { closed7: { seq: 7, closed: true, meta: { again: true } } });
    await s.save('messaging', { open2: { seq: 2 }, closed10: { seq: 10, closed: true } });
    // A restarted or taken-over source loads these: the newest closed ones are still deduped.
    const loaded = await redisCheckpointStore(client, { shard: id, epoch: 2 }).load('messaging');
    assert.deepEqual(Object.keys(loaded).sort(), ['closed10', 'closed8', 'closed9', 'open1', 'open2']);
    assert.deepEqual(await s.load('legacy-chat'), { k: { seq: 1, closed: true } }, 'per backend');
    assert.equal(await client.hLen(`chatshift:{${id}}:checkpoints`), 6, 'the hash holds no more');
    assert.equal(await client.zCard(`chatshift:{${id}}:closed:messaging`), 3);
    // A kept closed conversation is not reopened; a deleted one leaves the closed set.
    await s.save('messaging', { closed9: { seq: 9 }, closed8: null });
    assert.deepEqual(await s.load('messaging'), {
      open1: { seq: 1 },
      open2: { seq: 2 },
      closed9: { seq: 9, closed: true },
      closed10: { seq: 10, closed: true },
    });
    assert.equal(await client.zCard(`chatshift:{${id}}:closed:messaging`), 2);
  });

  it('a load is one round trip and a save is one script call', async () => {
    const c = counting(client);
    const s = redisCheckpointStore(c, { shard: shard(), epoch: 1 });
    await s.save('messaging', { warm: { seq: 1 } });
    c.sent.length = 0;
    await s.save(
      'messaging',
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`c${i}`, { seq: i }])),
    );
    assert.deepEqual(c.sent, ['EVALSHA']);
    c.sent.length = 0;
    assert.equal(Object.keys(await s.load('messaging')).length, 51);
    assert.deepEqual(c.sent, ['HGETALL']);
  });

  it('keeps working across a redis-server restart (AOF keeps the data; the script is sent again)', async () => {
    const id = shard();
    const s = redisCheckpointStore(client, { shard: id, epoch: 1 });
    await s.save('messaging', { a: { seq: 5 } });
    await server.restart();
    const c2 = await server.client();
    try {
      const s2 = redisCheckpointStore(c2, { shard: id, epoch: 1 });
      assert.deepEqual(await s2.load('messaging'), { a: { seq: 5 } });
      await s2.save('messaging', { a: { seq: 6 } });
      assert.deepEqual(await s2.load('messaging'), { a: { seq: 6 } });
    } finally {
      await c2.close();
    }
  });

  it('an unreadable entry is ERR_CHECKPOINT_CORRUPT; a failing client is ERR_CHECKPOINT_IO', async () => {
    const id = shard();
    const c = await server.client();
    await c.hSet(`chatshift:{${id}}:checkpoints`, 'messaging:a', '{"seq":');
    await assert.rejects(redisCheckpointStore(c, { shard: id }).load('messaging'), (e: unknown) =>
      isChatshiftError(e, 'ERR_CHECKPOINT_CORRUPT'),
    );
    await c.hSet(`chatshift:{${id}}:checkpoints`, 'messaging:a', '1|0|{"seq":"x"}');
    await assert.rejects(redisCheckpointStore(c, { shard: id }).load('messaging'), (e: unknown) =>
      isChatshiftError(e, 'ERR_CHECKPOINT_CORRUPT'),
    );
    const broken: RedisClientLike = { sendCommand: () => Promise.reject(new Error('connection reset')) };
    const s = redisCheckpointStore(broken, { shard: id, epoch: 1 });
    await assert.rejects(s.load('messaging'), (e: unknown) => isChatshiftError(e, 'ERR_CHECKPOINT_IO'));
    await assert.rejects(s.save('messaging', { a: { seq: 1 } }), (e: unknown) =>
      isChatshiftError(e, 'ERR_CHECKPOINT_IO'),
    );
    await c.close();
  });

  it('checks its options when made (ERR_INVALID_OPTIONS)', () => {
    for (const [cl, o] of [
      [undefined, { shard: 'a' }],
      [client, { shard: '' }],
      [client, { shard: 'a{b}' }],
      [client, { shard: 'a', epoch: -1 }],
      [client, { shard: 'a', prefix: '' }],
      [client, { shard: 'a', maxClosed: -1 }],
      [client, { shard: 'a', maxClosed: 1.5 }],
    ] as const)
      assert.throws(
        () => redisCheckpointStore(cl as unknown as RedisClientLike, o as never),
        (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'),
      );
  });
});
