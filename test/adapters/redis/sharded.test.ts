import assert from 'node:assert/strict';
import { defer, lastValueFrom, mergeMap, NEVER, Observable, Subject, tap, toArray } from 'rxjs';
import {
  rendezvousOwner,
  shardedConversationEvents,
  shardFlagContext,
  type OwnershipChange,
  type RedisClientLike,
  type ShardedEvent,
} from '../../../adapters/redis/index.js';
import { isChatshiftError } from '../../../src/errors.js';
import type { Backend } from '../../../src/runtime/backend.js';
import { shardSpecs } from '../../cluster/shard-config.js';
import { ShardWorld } from '../../cluster/world.js';
import { recordingMetrics } from '../../support/metrics.js';
import { describeWithRedis, RedisServer, type TestRedisClient } from '../../support/redis.js';
import { sleep, waitFor } from '../../support/wait.js';

// Leases of 2 s (fenced at 1.5 s without a renewal): on a loaded 2-core CI machine this process's
// event loop (both runners, twelve simulators) stalls for hundreds of ms; with 600 ms leases such
// stalls fenced owners again and again. Waits are generous for the same reason.
const TTL = 2000;
const WAIT = 30_000;

describeWithRedis('shardedConversationEvents (two runners in one process)', function () {
  this.timeout(120_000);
  let server: RedisServer;
  let client: TestRedisClient;
  let world: ShardWorld;
  before(async () => {
    server = await RedisServer.start();
    client = await server.client();
    world = await ShardWorld.start(6);
  });
  after(async () => {
    await world?.close();
    await client?.close();
    await server?.stop();
  });

  it('spreads the shards, one owner each; a graceful stop hands them over with nothing lost or delivered twice', async () => {
    world.open(1);
    const specs = shardSpecs(world.configs(), { pollIntervalMs: 20, flag: () => 'both' });
    const changes: Array<OwnershipChange & { runner: string; at: number }> = [];
    const t0 = Date.now();
    const timeline = () =>
      changes
        .map((c) => `${c.at - t0}ms ${c.runner} ${c.change} ${c.shard}#${c.epoch} ${c.reason ?? ''}`)
        .join('; ');
    const delivered: ShardedEvent[] = [];
    const stopA = new Subject<void>();
    const stopB = new AbortController();
    const metricsB = recordingMetrics();
    const run = (name: string, stop: Subject<void> | AbortSignal) => {
      const r = shardedConversationEvents({
        ...(name === 'b' ? { metrics: metricsB } : {}),
        redis: client,
        shards: specs,
        instanceId: name,
        // Well above the stalls of a loaded CI machine: a self-fence here would re-deliver.
        leaseTtlMs: TTL,
        joinGraceMs: TTL / 2,
        stop,
      });
      r.ownership$.subscribe((c) => changes.push({ ...c, runner: name, at: Date.now() }));
      return lastValueFrom(
        r.events$.pipe(
          tap((e) => delivered.push(e)),
          toArray(),
        ),
      );
    };
    const a = run('a', stopA);
    const b = run('b', stopB.signal);
    try {
      const allDelivered = () => {
        const ids = new Set(delivered.map((d) => d.event.id));
        return [...world.expected].every((id) => ids.has(id));
      };
      const owners = () => {
        const m = new Map<string, string>();
        for (const c of changes) {
          if (c.change === 'owned') {
            assert.equal(m.get(c.shard), undefined, `shard ${c.shard} owned twice at once`);
            m.set(c.shard, c.runner);
          } else m.delete(c.shard);
        }
        return m;
      };
      await waitFor(
        () => owners().size === 6,
        () => `every shard owned: ${JSON.stringify([...owners()])}`,
        WAIT,
      );
      // Spread by rendezvous hashing over the two live instances, the same answer on both. The
      // instance ids come from Redis, not from the ownership changes: hashing may rightly give all
      // six shards to one of the two (1 in 64, by the random suffix of each id), and then the
      // other never shows in a change (the CI failure "timed out waiting for the rendezvous
      // assignment" with b owning everything).
      let members: string[] = [];
      const runnerOf = (instance: string | undefined) => instance?.split('/')[0];
      const spread = () =>
        members.length === 2 && [...owners()].every(([s, r]) => runnerOf(rendezvousOwner(s, members)) === r);
      for (const deadline = Date.now() + WAIT; !spread(); await sleep(50)) {
        if (Date.now() > deadline)
          throw new Error(
            `timed out waiting for the rendezvous assignment over ${JSON.stringify(members)}: ` +
              `${JSON.stringify([...owners()])}; changes: ${timeline()}`,
          );
        members = (await client.sendCommand(['ZRANGE', 'chatshift:members', '0', '-1'])) as string[];
      }
      world.say();
      await waitFor(allDelivered, 'the first round', WAIT);
      world.say();
      stopA.next();
      await a;
      // a released every shard it had, after its flush; b takes them all.
      await waitFor(
        () => [...owners().values()].every((r) => r === 'b') && owners().size === 6,
        () => `b to own every shard; changes: ${timeline()}`,
        WAIT,
      );
      world.say();
      await waitFor(allDelivered, 'the last rounds', WAIT);
      stopB.abort();
      await b;
      const got = delivered.map((d) => d.event.id);
      const missing = [...world.expected].filter((id) => !got.includes(id));
      assert.deepEqual(missing, [], 'lost');
      // Graceful moves repeat nothing. A shard an owner fenced (its loop stalled past the lease on
      // a loaded machine) was stopped like a crash: its unsaved batch may come again.
      const interrupted = new Set(
        changes
          .filter((c) => c.change === 'fenced' || (c.change === 'released' && c.reason !== 'handoff'))
          .map((c) => c.shard),
      );
      const twice = got.filter((id, i) => got.indexOf(id) !== i);
      const shardOf = new Map(delivered.map((d) => [d.event.id, d.shard]));
      assert.deepEqual(
        twice.filter((id) => !interrupted.has(shardOf.get(id)!)),
        [],
        `delivered twice outside the shards an owner fenced; changes: ${timeline()}`,
      );
      const epochs = new Map<string, number[]>();
      for (const c of changes.filter((x) => x.change === 'owned'))
        epochs.set(c.shard, [...(epochs.get(c.shard) ?? []), c.epoch]);
      for (const [shard, es] of epochs)
        assert.deepEqual(
          es,
          [...es].sort((x, y) => x - y),
          `epochs of ${shard} grow`,
        );
      for (const d of delivered)
        assert.ok(d.event.conversationId.includes(d.shard), 'the shard each event came from');
      // b took over a's shards from their release: each a takeover.duration (seconds), none for
      // a shard's first owner.
      const takenFromA = changes.filter(
        (c) =>
          c.runner === 'b' &&
          c.change === 'owned' &&
          changes.some((x) => x.runner === 'a' && x.shard === c.shard),
      ).length;
      const takeovers = metricsB.of('takeover.duration');
      assert.ok(takenFromA > 0 && takeovers.length >= takenFromA, `${takeovers.length} >= ${takenFromA}`);
      for (const t of takeovers) assert.ok(t.value >= 0 && t.value < 60, `${t.value} s`);
    } finally {
      // A failed wait must not leave the two runners ticking (they would keep the process alive).
      stopA.next();
      stopB.abort();
      await Promise.race([Promise.allSettled([a, b]), sleep(5000)]);
    }
  });

  it('evaluates the flag per shard (each shard its own backend)', async () => {
    const specs = shardSpecs(world.configs().slice(0, 2), {
      pollIntervalMs: 20,
      flag: (s) => (s.id === 'agent-00' ? 'legacy-chat' : 'messaging'),
    });
    world.say();
    const stop = new AbortController();
    const r = shardedConversationEvents({
      redis: client,
      shards: specs,
      leaseTtlMs: TTL,
      joinGraceMs: 0,
      prefix: 'flag',
      stop: stop.signal,
    });
    const seen: ShardedEvent[] = [];
    const done = lastValueFrom(
      r.events$.pipe(
        tap((e) => seen.push(e)),
        toArray(),
      ),
    );
    await waitFor(
      () =>
        ['agent-00', 'agent-01'].every((s) => seen.some((e) => e.shard === s && e.event.type === 'message')),
      () => `messages from both shards: ${JSON.stringify(seen.map((e) => e.event.id))}`,
      WAIT,
    );
    stop.abort();
    await done;
    assert.ok(seen.some((e) => e.shard === 'agent-00'));
    assert.ok(seen.some((e) => e.shard === 'agent-01'));
    for (const e of seen)
      assert.equal(e.event.backend, e.shard === 'agent-00' ? 'legacy-chat' : 'messaging', e.event.id);
    assert.deepEqual(shardFlagContext({ id: 'x', accountId: '1', agentId: '1.2' }), {
      targetingKey: '1.2',
      shard: 'x',
      accountId: '1',
      agentId: '1.2',
    });
  });

  it('a graceful stop that never completes is given up after handoffTimeoutMs: released as handoff-timeout, the lease free', async () => {
    // A backend that ignores the stop (a user's own backend, or a bug): its stream never completes.
    const stuck: Backend = { id: 'legacy-chat', events: () => NEVER };
    const changes: OwnershipChange[] = [];
    const stop = new AbortController();
    const r = shardedConversationEvents({
      redis: client,
      shards: [{ id: 'stuck', backends: () => ({ legacy: stuck }), backend: 'legacy-chat' }],
      leaseTtlMs: TTL,
      joinGraceMs: 0,
      handoffTimeoutMs: 300,
      prefix: 'stuck',
      stop: stop.signal,
    });
    r.ownership$.subscribe((c) => changes.push(c));
    const done = lastValueFrom(r.events$, { defaultValue: undefined });
    await waitFor(() => changes.some((c) => c.change === 'owned'), 'the shard owned', WAIT);
    stop.abort();
    await done;
    assert.deepEqual(
      changes.map((c) => [c.change, c.reason]),
      [
        ['owned', undefined],
        ['released', 'handoff-timeout'],
      ],
    );
    assert.equal(await client.sendCommand(['GET', 'stuck:{stuck}:lease']), null, 'the lease was released');
  });

  it('a graceful stop whose final flush fails is released as handoff-unflushed, not as a clean handoff', async () => {
    // A backend that writes its checkpoint when asked to stop, then completes.
    const saving: Backend = {
      id: 'legacy-chat',
      events: (ctx) =>
        new Observable((sub) => {
          const s = ctx?.stop?.subscribe(() => {
            void ctx
              .checkpoint!.save('legacy-chat', { a: { seq: 1 } })
              .catch(() => {})
              .then(() => sub.complete());
          });
          return () => s?.unsubscribe();
        }),
    };
    let broken = false;
    const redis: RedisClientLike = {
      sendCommand: (args) =>
        broken && args.some((a) => a.endsWith(':checkpoints'))
          ? Promise.reject(new Error('connection lost'))
          : client.sendCommand(args),
    };
    const changes: OwnershipChange[] = [];
    const stop = new AbortController();
    const r = shardedConversationEvents({
      redis,
      shards: [{ id: 'unflushed', backends: () => ({ legacy: saving }), backend: 'legacy-chat' }],
      leaseTtlMs: TTL,
      joinGraceMs: 0,
      prefix: 'unflushed',
      stop: stop.signal,
    });
    r.ownership$.subscribe((c) => changes.push(c));
    const done = lastValueFrom(r.events$, { defaultValue: undefined });
    await waitFor(() => changes.some((c) => c.change === 'owned'), 'the shard owned', WAIT);
    broken = true;
    stop.abort();
    await done;
    assert.deepEqual(
      changes.map((c) => [c.change, c.reason]),
      [
        ['owned', undefined],
        ['released', 'handoff-unflushed'],
      ],
    );
  });

  it("passes maxClosed to each shard's checkpoint store: the hash keeps only the newest closed conversations", async () => {
    // A backend that saves three closed conversations through the store the runner gives it.
    const saving: Backend = {
      id: 'legacy-chat',
      events: (ctx) =>
        defer(async () => {
          for (const id of ['c1', 'c2', 'c3'])
            await ctx?.checkpoint?.save('legacy-chat', { [id]: { seq: 1, closed: true } });
        }).pipe(mergeMap(() => NEVER)),
    };
    const stop = new AbortController();
    const r = shardedConversationEvents({
      redis: client,
      shards: [{ id: 'pruned', backends: () => ({ legacy: saving }), backend: 'legacy-chat' }],
      leaseTtlMs: TTL,
      joinGraceMs: 0,
      handoffTimeoutMs: 300,
      maxClosed: 1,
      prefix: 'pruned',
      stop: stop.signal,
    });
    const done = lastValueFrom(r.events$, { defaultValue: undefined });
    const fields = async () =>
      (await client.sendCommand(['HKEYS', 'pruned:{pruned}:checkpoints'])) as string[];
    try {
      let last: string[] = [];
      await waitFor(
        () => {
          void fields().then((f) => (last = f));
          return last.includes('legacy-chat:c3');
        },
        () => `the third save: ${JSON.stringify(last)}`,
        WAIT,
      );
      assert.deepEqual(await fields(), ['legacy-chat:c3']);
    } finally {
      stop.abort();
      await done;
    }
  });

  it('checks its options when called (ERR_INVALID_OPTIONS)', () => {
    const shard = { id: 's', backends: () => ({}), backend: 'both' as const };
    const redis = client as RedisClientLike;
    for (const o of [
      {},
      { redis, shards: [] },
      { redis, shards: [shard, shard] },
      { redis, shards: [{ ...shard, id: 'a{b}' }] },
      { redis, shards: [{ id: 's', backends: () => ({}) }] },
      { redis, shards: [shard], leaseTtlMs: 10 },
      { redis, shards: [shard], instanceId: 'a|b' },
      { redis, shards: [shard], stop: 'now' },
      { redis, shards: [shard], handoffTimeoutMs: 0 },
      { redis, shards: [shard], maxClosed: -1 },
    ])
      assert.throws(
        () => shardedConversationEvents(o as never),
        (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'),
        JSON.stringify(o),
      );
  });
});
