import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { shardedConsume, type OwnershipChange } from '../../../adapters/redis/index.js';
import { isChatshiftError } from '../../../src/errors.js';
import { shardSpecs } from '../../cluster/shard-config.js';
import { ShardWorld } from '../../cluster/world.js';
import { describeWithRedis, RedisServer, type TestRedisClient } from '../../support/redis.js';
import { sleep, waitFor } from '../../support/wait.js';

const TTL = 2000;
const WAIT = 30_000;

// consume() per owned shard: a cursor moves once the handler has finished with the event, so an
// owner that stops without finishing (here: a handler that never returns, given up after
// handoffTimeoutMs) leaves that event to the next owner instead of losing it.
describeWithRedis('shardedConsume: consume() over the shards of a cluster', function () {
  this.timeout(90_000);
  let server: RedisServer;
  let client: TestRedisClient;
  let world: ShardWorld;
  before(async () => {
    server = await RedisServer.start();
    client = await server.client();
    world = await ShardWorld.start(2);
    world.open(2);
  });
  after(async () => {
    await world?.close();
    await client?.close();
    await server?.stop();
  });

  const consumer = (
    prefix: string,
    handled: Map<string, number>,
    hang: (id: string) => boolean = () => false,
  ) => {
    const changes: OwnershipChange[] = [];
    const c = shardedConsume(
      {
        redis: client,
        shards: shardSpecs(world.configs(), { pollIntervalMs: 20, flag: () => 'both' }),
        leaseTtlMs: TTL,
        joinGraceMs: 0,
        handoffTimeoutMs: 1000,
        prefix,
      },
      async ({ event, shard, actions }, { attempt }) => {
        assert.equal(attempt, 1);
        assert.ok(actions !== undefined && event.id.length > 0 && shard.startsWith('agent-'));
        if (hang(event.id)) return new Promise(() => {}); // never finishes
        await sleep(1);
        if (event.type === 'message') handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
      },
    );
    c.ownership$.subscribe((x) => changes.push(x));
    return { c, changes };
  };
  const allOf = (ids: Iterable<string>, handled: Map<string, number>) =>
    [...ids].every((id) => handled.has(id));

  it('handles each message once with an async handler; a graceful stop saves what was handled', async () => {
    world.say();
    const first = new Set(world.expected);
    const handledA = new Map<string, number>();
    const a = consumer('sc1', handledA);
    try {
      await waitFor(
        () => allOf(first, handledA),
        () => `handled ${handledA.size} of ${first.size}`,
        WAIT,
      );
    } finally {
      await a.c.stop();
    }
    assert.deepEqual(
      a.changes.filter((c) => c.change === 'released').map((c) => c.reason),
      ['handoff', 'handoff'],
      JSON.stringify(a.changes),
    );
    world.say();
    const second = [...world.expected].filter((id) => !first.has(id));
    const handledB = new Map<string, number>();
    const b = consumer('sc1', handledB);
    try {
      await waitFor(
        () => allOf(second, handledB),
        () => `handled ${handledB.size} of ${second.length}`,
        WAIT,
      );
      assert.ok(b.c.actions('agent-00') !== undefined && b.c.actions('agent-01') !== undefined);
    } finally {
      await b.c.stop();
    }
    assert.equal(b.c.actions('agent-00'), undefined, 'not owned after the stop');
    for (const id of first)
      assert.equal(handledB.has(id), false, `${id} handled again after a graceful stop`);
    for (const [id, n] of [...handledA, ...handledB]) assert.equal(n, 1, id);
  });

  it('an event whose handler never finished before its owner gave up is handled by the next owner', async () => {
    world.say();
    const all = [...world.expected]; // a new prefix: no checkpoint yet, every round comes again
    // The first messaging message of agent-00's first conversation hangs: that conversation's
    // later events wait behind it, the others go on.
    const conv = 'messaging:agent-00-conv-0:';
    const stuck = all.find((id) => id.startsWith(conv))!;
    assert.ok(stuck !== undefined);
    const others = all.filter((id) => !id.startsWith(conv));
    const handledA = new Map<string, number>();
    const handledB = new Map<string, number>();
    let reached = false;
    const a = consumer('sc2', handledA, (id) => {
      if (id !== stuck) return false;
      reached = true;
      return true;
    });
    let b: ReturnType<typeof consumer> | undefined;
    try {
      await waitFor(
        () => reached && allOf(others, handledA),
        () => `handled ${handledA.size}`,
        WAIT,
      );
      await sleep(1500); // the handled ones saved (the writers save about once a second)
      await a.c.stop(); // agent-00's stop waits for the stuck handler, then gives up after 1 s
      const reasons = a.changes.filter((c) => c.change === 'released').map((c) => `${c.shard}:${c.reason}`);
      assert.ok(reasons.includes('agent-00:handoff-timeout'), reasons.join(' '));
      assert.equal(handledA.has(stuck), false);

      b = consumer('sc2', handledB);
      await waitFor(
        () => allOf(all, new Map([...handledA, ...handledB])) && handledB.has(stuck),
        () => `the stuck conversation handled by the next owner: ${[...handledB.keys()].join(' ')}`,
        WAIT,
      );
    } finally {
      await a.c.stop();
      await b?.c.stop();
    }
    // Nothing lost; what the next owner handled again is only of the shard that was given up.
    for (const id of handledB.keys())
      if (handledA.has(id))
        assert.ok(id.includes('agent-00'), `${id} handled twice outside the shard given up`);
  });

  it('a bot whose owner stopped after answering is not answered twice by the next owner (skipIfSent)', async () => {
    world.say();
    const all = [...world.expected];
    // agent-01's first messaging message is answered, then its handler never returns: its owner
    // gives up without saving it, and the next owner handles it again.
    const stuck = all.find((id) => id.startsWith('messaging:agent-01-conv-0:'))!;
    const alreadySent: string[] = [];
    let stuckAnswered = false;
    const bot = (hangOnStuck: boolean) =>
      shardedConsume(
        {
          redis: client,
          shards: shardSpecs(world.configs(), { pollIntervalMs: 20, flag: () => 'both' }),
          leaseTtlMs: TTL,
          joinGraceMs: 0,
          handoffTimeoutMs: 1000,
          prefix: 'sc3',
        },
        async ({ event, actions }) => {
          if (event.type !== 'message' || event.from.role !== 'consumer') return;
          const clientMessageId = createHash('sha256').update(event.id).digest('base64url').slice(0, 32);
          const r = await actions!.send(
            event,
            { text: `re:${event.id}` },
            { clientMessageId, skipIfSent: true },
          );
          if (r.alreadySent === true) alreadySent.push(event.id);
          if (event.id === stuck && hangOnStuck) {
            stuckAnswered = true;
            return new Promise(() => {}); // answered, never finished
          }
        },
      );
    const answers = () => {
      const n = new Map<string, number>();
      for (const s of world.shards) {
        const texts = [
          ...s.legacyChats.flatMap((k) => s.legacy.agentLines(k).map((e) => e.text ?? '')),
          ...s.messagingConvs.flatMap((c) =>
            s.messaging
              .history(c)
              .filter((r) => (r['originatorMetadata'] as { role?: string } | undefined)?.role !== 'CONSUMER')
              .map((r) => String((r['event'] as { message?: unknown }).message)),
          ),
        ];
        for (const t of texts) if (t.startsWith('re:')) n.set(t.slice(3), (n.get(t.slice(3)) ?? 0) + 1);
      }
      return n;
    };
    const a = bot(true);
    try {
      await waitFor(
        () =>
          stuckAnswered &&
          all.every((id) => answers().has(id) || id.startsWith('messaging:agent-01-conv-0:')),
        () => `answers: ${answers().size} of ${all.length}`,
        WAIT,
      );
    } finally {
      await a.stop();
    }
    const b = bot(false);
    try {
      await waitFor(
        () => all.every((id) => answers().has(id)),
        () => `answers: ${answers().size} of ${all.length}`,
        WAIT,
      );
      await waitFor(() => alreadySent.includes(stuck), 'the stuck event handled again', WAIT);
    } finally {
      await b.stop();
    }
    const twice = [...answers()].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'no consumer message answered twice');
    assert.ok(alreadySent.includes(stuck), 'the repeat found its answer and posted nothing');
  });

  it('checks its options when called (ERR_INVALID_OPTIONS)', () => {
    const base = {
      redis: client,
      shards: shardSpecs(world.configs(), { pollIntervalMs: 20, flag: () => 'both' }),
    };
    for (const [opts, handler] of [
      [{ ...base, concurrency: 0 }, () => {}],
      [{ ...base, retry: { maxAttempts: -1 } }, () => {}],
      [base, 'not a function'],
    ] as const)
      assert.throws(
        () => shardedConsume(opts as never, handler as never),
        (e) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'),
      );
  });
});
