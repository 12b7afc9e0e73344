// Instances as child processes, and everything they report: deliveries (the idempotent sink:
// keyed by event id, so a duplicate is counted, never double-applied), ownership changes, metrics.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { OwnershipChange } from '../../adapters/redis/index.js';
import type { InstanceConfig } from './instance.js';
import type { ShardConfig } from './shard-config.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface Delivery {
  instance: string;
  shard: string;
  epoch: number;
  at: number;
}
export type Ownership = OwnershipChange & { at: number; name: string };

export interface Instance {
  name: string;
  child: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  /** Gone: killed, or exited. */
  dead: boolean;
  metrics: Record<string, number>;
  fencedOwnerWork: { requests: number; sockets: number; frames: number };
  errors: string[];
  /** Longest event-loop stall the instance saw, ms. */
  loopDelayMaxMs: number;
}

export interface ClusterOptions {
  redisSocket: string;
  shards: ShardConfig[];
  leaseTtlMs: number;
  joinGraceMs: number;
  pollIntervalMs: number;
  flagKey?: string;
}

export class Cluster {
  readonly instances = new Map<string, Instance>();
  readonly deliveries = new Map<string, Delivery[]>();
  readonly ownership: Ownership[] = [];
  /** When each ownership sent its last checkpoint save Redis accepted: `shard|epoch|backend` → ms. */
  readonly lastSave = new Map<string, number>();
  private n = 0;

  constructor(private readonly o: ClusterOptions) {}

  /** Starts one instance; resolves once it runs (it takes shards after its join grace). */
  async spawn(): Promise<Instance> {
    const name = `i${++this.n}`;
    const cfg: InstanceConfig = {
      instanceId: name,
      redisSocket: this.o.redisSocket,
      shards: this.o.shards,
      leaseTtlMs: this.o.leaseTtlMs,
      joinGraceMs: this.o.joinGraceMs,
      pollIntervalMs: this.o.pollIntervalMs,
      ...(this.o.flagKey === undefined ? {} : { flagKey: this.o.flagKey }),
    };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'test/cluster/instance.ts'), JSON.stringify(cfg)],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } },
    );
    let onReady: () => void = () => {};
    const inst: Instance = {
      name,
      child,
      ready: new Promise<void>((r) => (onReady = r)),
      exited: new Promise((r) => child.once('exit', (code) => r(code))),
      dead: false,
      metrics: {},
      fencedOwnerWork: { requests: 0, sockets: 0, frames: 0 },
      errors: [],
      loopDelayMaxMs: 0,
    };
    void inst.exited.then(() => (inst.dead = true));
    this.instances.set(name, inst);
    createInterface({ input: child.stderr! }).on('line', (l) => inst.errors.push(l));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return void inst.errors.push(line);
      }
      if (m['t'] === 'ready') onReady();
      else if (m['t'] === 'ev') {
        const id = m['id'] as string;
        const list = this.deliveries.get(id) ?? [];
        list.push({
          instance: name,
          shard: m['shard'] as string,
          epoch: m['epoch'] as number,
          at: m['at'] as number,
        });
        this.deliveries.set(id, list);
      } else if (m['t'] === 'saved') {
        const key = `${String(m['shard'])}|${Number(m['epoch'])}|${String(m['backend'])}`;
        this.lastSave.set(key, Math.max(this.lastSave.get(key) ?? 0, m['at'] as number));
      } else if (m['t'] === 'own')
        this.ownership.push({ ...(m as unknown as OwnershipChange), at: m['at'] as number, name });
      else if (m['t'] === 'metrics' || m['t'] === 'done') {
        inst.metrics = m['metrics'] as Record<string, number>;
        inst.fencedOwnerWork = m['fencedOwnerWork'] as Instance['fencedOwnerWork'];
        inst.loopDelayMaxMs = Math.max(inst.loopDelayMaxMs, Number(m['loopDelayMaxMs'] ?? 0));
      } else if (m['t'] === 'fatal' || m['t'] === 'log') inst.errors.push(line);
    });
    await inst.ready;
    return inst;
  }

  /** Who owns each shard now, from the ownership log (a dead instance owns nothing). */
  owners(): Map<string, string> {
    const out = new Map<string, string>();
    for (const c of this.ownership) {
      if (c.change === 'owned') out.set(c.shard, c.name);
      else if (out.get(c.shard) === c.name) out.delete(c.shard);
    }
    for (const [shard, name] of out) if (this.instances.get(name)?.dead !== false) out.delete(shard);
    return out;
  }

  /** True once every shard is owned by a live instance (none of `not`). */
  allOwned(not: readonly string[] = []): boolean {
    const owners = this.owners();
    return this.o.shards.every((s) => {
      const o = owners.get(s.id);
      return o !== undefined && !not.includes(o);
    });
  }

  /** Sends `signal`; with SIGKILL the instance counts as dead at once. */
  signal(inst: Instance, signal: NodeJS.Signals): void {
    if (signal === 'SIGKILL') inst.dead = true;
    inst.child.kill(signal);
  }

  /** Graceful stop of every live instance; resolves once all exited. */
  async stopAll(): Promise<void> {
    const live = [...this.instances.values()].filter((i) => !i.dead);
    for (const i of live) i.child.kill('SIGTERM');
    await Promise.all(live.map((i) => i.exited));
  }

  /** Hard stop of whatever still runs (cleanup). */
  killAll(): void {
    for (const i of this.instances.values())
      if (i.child.exitCode === null && i.child.signalCode === null) {
        i.child.kill('SIGCONT');
        i.child.kill('SIGKILL');
      }
  }

  /** Sum of one counter over every instance (a killed one's last report). */
  sum(metric: string): number {
    return [...this.instances.values()].reduce((n, i) => n + (i.metrics[metric] ?? 0), 0);
  }
}
