// The chaos scenarios: each starts its own redis-server, simulators and instances, runs traffic
// through one kind of trouble, then checks every message arrived once and reports one row.
import { RedisServer } from '../support/redis.js';
import { sleep, waitFor } from '../support/wait.js';
import { Cluster, type Instance } from './cluster.js';
import { judgeDuplicates } from './judge.js';
import { ShardWorld } from './world.js';

/** One row of `npm run cluster -- --json`. */
export interface ScenarioRow {
  name: string;
  instances: number;
  shards: number;
  leaseTtlMs: number;
  /** Consumer messages written / not delivered by the end. */
  expected: number;
  lost: number;
  /** Event ids delivered more than once, and whether all of them belong to shards a crash interrupted. */
  duplicated: number;
  duplicatesOnlyInInterruptedShards: boolean;
  /**
   * The bound on repeats: the events each interrupted ownership delivered after the send of its
   * last checkpoint save Redis accepted (its unsaved batch), summed; and whether every repeat is
   * one of those, delivered again by a later owner of the same shard with the same id.
   */
  duplicateBound: number;
  duplicatesWithinBound: boolean;
  duplicateViolations: string[];
  /** Saves rejected by the store (a stale epoch), summed over the instances. */
  fencedSaves: number;
  /** Shards an owner stopped itself because its lease was lost. */
  selfFences: number;
  /** Requests, sockets and frames sent by an owner past its lease window (counted in the instances). */
  fencedOwnerWork: number;
  /** Most legacy requests one agent session had in flight at once, beyond one (sampled every 2 ms). */
  overlappingRequests: number;
  /**
   * Most WebSocket connections one agent had open at once (sampled every 2 ms). A stopped process
   * cannot close its socket, so after a SIGSTOP this is 2 until the server drops the old one.
   */
  maxSocketsPerAgent: number;
  /**
   * Frames the simulators received on an agent's socket while a newer socket of that agent was
   * open: a second connection that actually talks, what the one-session-per-agent rule forbids
   * (the lease guard terminates a woken owner's socket at its first frame instead).
   */
  supersededSocketFrames: number;
  /** From the trouble (kill, stop, release) to the next owner holding the shard. */
  takeoverMsP50: number | null;
  takeoverMsMax: number | null;
  /** Legacy poll requests per shard per second over the steady phase, across the cluster. */
  legacyPollsPerShardSecond: number;
  /**
   * Legacy requests (every route) per shard per poll cycle over the steady phase, across the
   * cluster: a cycle is one multi-chat poll. Unlike a rate it does not drop when a starved CPU
   * slows the cycles, so N = 1, 2, 4 compare (one owner per agent session: the same figure).
   */
  legacyRequestsPerShardCycle: number;
  /** Longest event-loop stall of any instance, ms (a stall past 3/4 TTL fences an owner). */
  loopDelayMaxMs: number;
  /** Why owners fenced themselves (first few). */
  fenceReasons: string[];
  durationMs: number;
}

export interface ScenarioOptions {
  shards: number;
  instances: number;
  leaseTtlMs: number;
  /** Length of each traffic phase, ms. */
  phaseMs: number;
  pollIntervalMs: number;
  /** Called with a line of progress (the live view). */
  onProgress?: (line: string) => void;
}

export interface ScenarioContext {
  world: ShardWorld;
  cluster: Cluster;
  redis: RedisServer;
  o: ScenarioOptions;
  /** Traffic for `ms`: a message in every conversation every 100 ms. */
  traffic(ms: number, backends?: { legacy?: boolean; messaging?: boolean }): Promise<void>;
  /** Marks `t` as the start of a takeover of `shards` (measured to their next `owned`). */
  troubleAt(t: number, shards: readonly string[]): void;
  /** Shards a crash interrupted: duplicates are allowed there (at most the unsaved batch). */
  interrupted: Set<string>;
  /** Shards owned by `inst` now. */
  ownedBy(inst: Instance): string[];
  /** Waits until every shard has a live owner not in `not`. */
  settled(not?: readonly string[]): Promise<void>;
}

export type Scenario = (ctx: ScenarioContext) => Promise<void>;

/** Runs one scenario from a fresh Redis, world and cluster; always cleans up. */
export async function runScenario(
  name: string,
  scenario: Scenario,
  o: ScenarioOptions,
  extra: { appendonly?: boolean; flagKey?: string; initialFlag?: string } = {},
): Promise<ScenarioRow> {
  const started = Date.now();
  const redis = await RedisServer.start({ appendonly: extra.appendonly === true });
  const world = await ShardWorld.start(o.shards);
  world.open(2);
  const cluster = new Cluster({
    redisSocket: redis.socketPath,
    shards: world.configs(),
    leaseTtlMs: o.leaseTtlMs,
    joinGraceMs: Math.round(o.leaseTtlMs / 2),
    pollIntervalMs: o.pollIntervalMs,
    ...(extra.flagKey === undefined ? {} : { flagKey: extra.flagKey }),
  });
  const troubles: Array<{ at: number; shards: readonly string[] }> = [];
  const interrupted = new Set<string>();
  const progress = o.onProgress ?? (() => {});
  try {
    if (extra.flagKey !== undefined && extra.initialFlag !== undefined) {
      const c = await redis.client();
      for (const s of world.configs()) await c.set(`${extra.flagKey}:${s.id}`, extra.initialFlag);
      await c.close();
    }
    const ctx: ScenarioContext = {
      world,
      cluster,
      redis,
      o,
      interrupted,
      async traffic(ms, backends) {
        const end = Date.now() + ms;
        while (Date.now() < end) {
          world.say(backends);
          progress(
            `${name}: owners ${JSON.stringify(countBy([...cluster.owners().values()]))} delivered ${cluster.deliveries.size}`,
          );
          await sleep(100);
        }
      },
      troubleAt: (at, shards) => void troubles.push({ at, shards }),
      ownedBy: (inst) => [...cluster.owners()].filter(([, n]) => n === inst.name).map(([s]) => s),
      settled: (not = []) =>
        waitFor(
          () => cluster.allOwned(not),
          () => `every shard owned: ${JSON.stringify([...cluster.owners()])} ${errorsOf(cluster)}`,
          30_000,
        ),
    };
    await Promise.all(Array.from({ length: o.instances }, () => cluster.spawn()));
    await ctx.settled();
    const polls0 = world.legacyPolls();
    const requests0 = world.legacyRequests();
    const t0 = Date.now();
    await ctx.traffic(o.phaseMs);
    const cycles = world.legacyPolls() - polls0;
    const pollRate = cycles / o.shards / ((Date.now() - t0) / 1000);
    const perCycle = cycles === 0 ? 0 : (world.legacyRequests() - requests0) / cycles;
    await scenario(ctx);
    // The end: every message written must arrive.
    world.say();
    await waitFor(
      () => [...world.expected].every((id) => cluster.deliveries.has(id)),
      () =>
        `every message delivered: ${[...world.expected].filter((id) => !cluster.deliveries.has(id)).length} missing ${errorsOf(cluster)}`,
      30_000,
    ).catch(() => {});
    const lateMissing = [...world.expected].filter((id) => !cluster.deliveries.has(id));
    if (process.env['CLUSTER_TRACE'] !== undefined && lateMissing.length > 0) {
      // Slow or lost? Wait once more with every shard owned, then name what is still missing.
      await sleep(20_000);
      const still = lateMissing.filter((id) => !cluster.deliveries.has(id));
      process.stderr.write(
        `after 30 s missing ${lateMissing.length}; 20 s later still ${still.length}: ${still.join(' ')}\nowners ${JSON.stringify([...cluster.owners()])}\n`,
      );
    }
    await cluster.stopAll();
    // A shard an owner fenced was stopped like a crash: its unsaved batch may come again.
    // So was one whose stream failed (a save that could not reach Redis).
    for (const c of cluster.ownership)
      if (c.change === 'fenced' || (c.change === 'released' && c.reason !== 'handoff'))
        interrupted.add(c.shard);
    const dups = [...cluster.deliveries].filter(([, d]) => d.length > 1);
    const verdict = judgeDuplicates(cluster.deliveries, cluster.ownership, cluster.lastSave);
    const takeovers = troubles.flatMap(({ at, shards }) =>
      shards.map((s) => {
        const next = cluster.ownership.find((c) => c.shard === s && c.change === 'owned' && c.at >= at);
        return next === undefined ? Number.POSITIVE_INFINITY : next.at - at;
      }),
    );
    takeovers.sort((a, b) => a - b);
    const live = [...cluster.instances.values()];
    return {
      name,
      instances: o.instances,
      shards: o.shards,
      leaseTtlMs: o.leaseTtlMs,
      expected: world.expected.size,
      lost: [...world.expected].filter((id) => !cluster.deliveries.has(id)).length,
      duplicated: dups.length,
      duplicatesOnlyInInterruptedShards: dups.every(([, d]) => interrupted.has(d[0]!.shard)),
      duplicateBound: verdict.bound,
      duplicatesWithinBound: verdict.withinBound,
      duplicateViolations: verdict.violations,
      fencedSaves: cluster.sum('lease.fenced'),
      selfFences: cluster.ownership.filter((c) => c.change === 'fenced').length,
      fencedOwnerWork: live.reduce(
        (n, i) => n + i.fencedOwnerWork.requests + i.fencedOwnerWork.sockets + i.fencedOwnerWork.frames,
        0,
      ),
      overlappingRequests: Math.max(0, world.maxInFlight - 1),
      maxSocketsPerAgent: world.maxSockets,
      supersededSocketFrames: world.supersededSocketFrames(),
      takeoverMsP50: takeovers.length === 0 ? null : takeovers[Math.floor((takeovers.length - 1) / 2)]!,
      takeoverMsMax: takeovers.length === 0 ? null : takeovers[takeovers.length - 1]!,
      legacyPollsPerShardSecond: Math.round(pollRate * 10) / 10,
      legacyRequestsPerShardCycle: Math.round(perCycle * 100) / 100,
      loopDelayMaxMs: Math.round(Math.max(...live.map((i) => i.loopDelayMaxMs))),
      fenceReasons: live.flatMap((i) => i.errors.filter((e) => e.includes('renew'))).slice(0, 3),
      durationMs: Date.now() - started,
    };
  } finally {
    if (process.env['CLUSTER_TRACE'] !== undefined) {
      const missing = [...world.expected].filter((id) => !cluster.deliveries.has(id));
      process.stderr.write(`missing: ${missing.slice(0, 20).join(' ')}\n`);
    }
    if (process.env['CLUSTER_TRACE'] !== undefined)
      for (const c of cluster.ownership)
        process.stderr.write(
          `${new Date(c.at).toISOString()} ${c.name} ${c.shard} ${c.change} e${c.epoch} ${c.reason ?? ''}\n`,
        );
    cluster.killAll();
    await world.close();
    await redis.stop();
  }
}

const countBy = (xs: string[]): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
};

const errorsOf = (c: Cluster): string =>
  [...c.instances.values()]
    .flatMap((i) => i.errors.slice(-3).map((e) => `${i.name}: ${e}`))
    .join('\n')
    .slice(0, 2000);

/** The instance owning the most shards. */
const busiest = (ctx: ScenarioContext): Instance => {
  const live = [...ctx.cluster.instances.values()].filter((i) => !i.dead);
  live.sort((a, b) => ctx.ownedBy(b).length - ctx.ownedBy(a).length);
  return live[0]!;
};

/** The scenarios by name. */
export const scenarios: Record<string, { run: Scenario; appendonly?: boolean; flag?: boolean }> = {
  steady: { run: async () => {} },
  'kill-9': {
    run: async (ctx) => {
      const victim = busiest(ctx);
      const shards = ctx.ownedBy(victim);
      const burst = ctx.traffic(ctx.o.phaseMs);
      await sleep(ctx.o.phaseMs / 3);
      ctx.cluster.signal(victim, 'SIGKILL');
      ctx.troubleAt(Date.now(), shards);
      for (const s of shards) ctx.interrupted.add(s);
      await burst;
      await ctx.settled();
    },
  },
  sigstop: {
    run: async (ctx) => {
      const victim = busiest(ctx);
      const shards = ctx.ownedBy(victim);
      const burst = ctx.traffic(ctx.o.phaseMs);
      await sleep(ctx.o.phaseMs / 3);
      victim.child.kill('SIGSTOP');
      ctx.troubleAt(Date.now(), shards);
      for (const s of shards) ctx.interrupted.add(s);
      await burst;
      // Past the lease: the others own its shards before it wakes.
      await ctx.settled([victim.name]);
      await sleep(ctx.o.leaseTtlMs);
      victim.child.kill('SIGCONT');
      await ctx.traffic(ctx.o.phaseMs);
      await ctx.settled();
    },
  },
  'rolling-sigterm': {
    run: async (ctx) => {
      for (const old of [...ctx.cluster.instances.values()].filter((i) => !i.dead)) {
        const fresh = ctx.cluster.spawn();
        const traffic = ctx.traffic(ctx.o.phaseMs / 2);
        await fresh;
        await sleep(ctx.o.leaseTtlMs); // past the newcomer's join grace
        ctx.troubleAt(Date.now(), ctx.ownedBy(old));
        old.child.kill('SIGTERM');
        await old.exited;
        await traffic;
        await ctx.settled();
      }
    },
  },
  'scale-2-4-2': {
    run: async (ctx) => {
      const first = [...ctx.cluster.instances.values()];
      const traffic = ctx.traffic(ctx.o.phaseMs);
      await Promise.all([ctx.cluster.spawn(), ctx.cluster.spawn()]);
      await traffic;
      // Past the newcomers' join grace, the shards rendezvous hashing gives them have moved.
      // (Not "each newcomer owns one": over 12 shards a member gets none now and then.)
      await sleep(ctx.o.leaseTtlMs);
      await ctx.settled();
      const leaving = first.slice(0, 2);
      const moving = leaving.flatMap((i) => ctx.ownedBy(i));
      ctx.troubleAt(Date.now(), moving);
      const more = ctx.traffic(ctx.o.phaseMs);
      for (const i of leaving) i.child.kill('SIGTERM');
      await Promise.all(leaving.map((i) => i.exited));
      await more;
      await ctx.settled();
    },
  },
  'redis-restart': {
    appendonly: true,
    run: async (ctx) => {
      const traffic = ctx.traffic(ctx.o.phaseMs);
      await sleep(ctx.o.phaseMs / 3);
      const before = new Set(ctx.cluster.ownership.filter((c) => c.change === 'fenced').map((c) => c.shard));
      await ctx.redis.restart();
      await traffic;
      await ctx.settled();
      for (const c of ctx.cluster.ownership)
        if (c.change === 'fenced' && !before.has(c.shard)) ctx.interrupted.add(c.shard);
    },
  },
  'redis-pause': {
    run: async (ctx) => {
      const c = await ctx.redis.client();
      const shards = [...ctx.cluster.owners().keys()];
      const traffic = ctx.traffic(ctx.o.phaseMs + ctx.o.leaseTtlMs * 2);
      await sleep(ctx.o.phaseMs / 3);
      for (const s of shards) ctx.interrupted.add(s);
      await c.sendCommand(['CLIENT', 'PAUSE', String(ctx.o.leaseTtlMs * 2), 'ALL']);
      ctx.troubleAt(Date.now(), shards);
      await traffic;
      await ctx.settled();
      await c.close();
    },
  },
  'flag-flip-takeover': {
    flag: true,
    run: async (ctx) => {
      const c = await ctx.redis.client();
      const victim = busiest(ctx);
      const shards = ctx.ownedBy(victim);
      const burst = ctx.traffic(ctx.o.phaseMs);
      await sleep(ctx.o.phaseMs / 3);
      ctx.cluster.signal(victim, 'SIGKILL');
      ctx.troubleAt(Date.now(), shards);
      for (const s of shards) ctx.interrupted.add(s);
      for (const s of ctx.world.configs()) await c.set(`flag:${s.id}`, 'messaging');
      await burst;
      await ctx.settled();
      await c.close();
    },
  },
};

/**
 * Every kind of trouble once, on one cluster (the bounded run in `npm test`): kill -9 mid-burst,
 * scale-up by one, SIGSTOP past the lease then SIGCONT, a flag flip during a takeover, redis-server
 * restarted (AOF), Redis paused past the lease, a graceful SIGTERM scale-down.
 */
const tour: Scenario = async (ctx) => {
  const step = async (name: string, fn: () => Promise<void>) => {
    ctx.o.onProgress?.(`tour: ${name}`);
    await fn();
  };
  const c = await ctx.redis.client();
  try {
    await step('kill -9 mid-burst', async () => {
      await scenarios['kill-9']!.run(ctx);
    });
    await step('scale up by one', async () => {
      await ctx.cluster.spawn();
      // Past its join grace: it takes its share by graceful handoff.
      await ctx.traffic(ctx.o.leaseTtlMs * 2);
      await ctx.settled();
    });
    await step('SIGSTOP past the lease, then SIGCONT', async () => {
      await scenarios['sigstop']!.run(ctx);
    });
    await step('flag flip during a takeover', async () => {
      const victim = busiest(ctx);
      const shards = ctx.ownedBy(victim);
      const burst = ctx.traffic(ctx.o.phaseMs);
      ctx.cluster.signal(victim, 'SIGKILL');
      ctx.troubleAt(Date.now(), shards);
      for (const s of shards) ctx.interrupted.add(s);
      for (const s of ctx.world.configs()) await c.set(`flag:${s.id}`, 'both');
      await burst;
      await ctx.settled();
      await ctx.cluster.spawn(); // the crashed instance restarts
    });
    await step('redis-server restarted', async () => {
      await scenarios['redis-restart']!.run(ctx);
    });
    await step('Redis paused past the lease', async () => {
      await scenarios['redis-pause']!.run(ctx);
    });
    await step('graceful scale-down (SIGTERM)', async () => {
      const leaving = busiest(ctx);
      ctx.troubleAt(Date.now(), ctx.ownedBy(leaving));
      const traffic = ctx.traffic(ctx.o.phaseMs);
      leaving.child.kill('SIGTERM');
      await leaving.exited;
      await traffic;
      await ctx.settled();
    });
  } finally {
    await c.close().catch(() => {});
  }
};

/** Runs one named scenario. */
export function run(name: string, o: ScenarioOptions): Promise<ScenarioRow> {
  if (name === 'tour')
    return runScenario(name, tour, o, { appendonly: true, flagKey: 'flag', initialFlag: 'legacy-chat' });
  const s = scenarios[name];
  if (s === undefined) throw new Error(`unknown scenario ${name}`);
  return runScenario(name, s.run, o, {
    ...(s.appendonly === true ? { appendonly: true } : {}),
    ...(s.flag === true ? { flagKey: 'flag', initialFlag: 'legacy-chat' } : {}),
  });
}
