import { ChatshiftError } from '../../src/errors.js';
import { arrayReply, intReply, LuaScript, shardKeys, withTimeout, type RedisClientLike } from './client.js';

/** Redis time in ms, inside a script. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: lease, epoch counter, vacant-from. ARGV: owner, ttl ms. `{1, epoch, vacantMs}` when taken
 * (`vacantMs` = how long the shard had no owner: since the previous lease expired or was released;
 * -1 for a shard's first owner), `{0, holder}` when held.
 */
const ACQUIRE = new LuaScript(`
local held = redis.call('GET', KEYS[1])
if held then return {0, held} end
${NOW}
local epoch = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. epoch, 'PX', ARGV[2])
local from = tonumber(redis.call('GET', KEYS[3]) or '')
redis.call('SET', KEYS[3], now + tonumber(ARGV[2]))
local vacant = -1
if from ~= nil then vacant = math.max(0, now - from) end
return {1, epoch, vacant}
`);
/** KEYS: lease, vacant-from. ARGV: `owner|epoch`, ttl ms. 1 when still ours and extended. */
const RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
${NOW}
redis.call('SET', KEYS[2], now + tonumber(ARGV[2]))
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`);
/** KEYS: lease, vacant-from. ARGV: `owner|epoch`. 1 when it was ours and is gone. */
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
${NOW}
redis.call('SET', KEYS[2], now)
return redis.call('DEL', KEYS[1])
`);

/** Options of {@link ShardLease}. */
export interface ShardLeaseOptions {
  shard: string;
  /** This instance's id (stored in the lease). */
  owner: string;
  /** Lease time to live in Redis, ms. */
  ttlMs: number;
  /** Key prefix, as the checkpoint store's. */
  prefix: string;
  /** Renewals per TTL. Default 4 (renew every quarter TTL). */
  renewsPerTtl?: number;
  /**
   * Fraction of the TTL after the last confirmed renewal's *send* time at which the owner fences
   * itself if no renewal was confirmed since. Default 0.75: Redis counts its TTL from when it got
   * the command, which is after the send, so the owner always stops first.
   */
  fenceAt?: number;
  /** Monotonic clock, ms. Default `performance.now`. */
  clock?: () => number;
  /** Called once when the lease is lost (renewal refused or not confirmed in time). Synchronous. */
  onLost: (error: ChatshiftError) => void;
}

/**
 * One shard's lease: a Redis key `<prefix>:{shard}:lease` holding `owner|epoch` with a TTL, where
 * the epoch comes from the shard's counter (INCR at every acquisition), so every owner of a shard
 * ever has a larger epoch than the one before. Renewed every `ttl / renewsPerTtl`; the owner
 * fences itself (calls `onLost`) on its monotonic clock before Redis could hand the lease to
 * someone else. {@link valid} is what guarded work checks before it runs.
 */
export class ShardLease {
  private epochValue: number | undefined;
  /** Monotonic deadline after which this owner must not act. */
  private validUntil = Number.NEGATIVE_INFINITY;
  private renewTimer: NodeJS.Timeout | undefined;
  private fenceTimer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private renewing = false;
  private confirmedAt = 0;
  private lost = false;
  private readonly keys: ReturnType<typeof shardKeys>;
  private readonly clock: () => number;

  constructor(
    private readonly client: RedisClientLike,
    private readonly o: ShardLeaseOptions,
  ) {
    this.keys = shardKeys(o.prefix, o.shard);
    this.clock = o.clock ?? (() => performance.now());
  }

  /**
   * Once acquired: how long the shard had been without an owner, ms (Redis time, from when the
   * previous lease expired or was released); undefined for the shard's first owner ever.
   */
  get vacantMs(): number | undefined {
    return this.vacant;
  }
  private vacant: number | undefined;

  /** The epoch held, once acquired. */
  get epoch(): number {
    if (this.epochValue === undefined) throw new Error('ShardLease: not acquired');
    return this.epochValue;
  }

  /** True while held and inside its confirmed window, without side effects (for measuring). */
  held(): boolean {
    return !this.lost && this.epochValue !== undefined && this.clock() < this.validUntil;
  }

  /** True while held and inside its confirmed window; fences at once (synchronously) when past it. */
  valid(): boolean {
    if (this.lost || this.epochValue === undefined) return false;
    if (this.clock() < this.validUntil) return true;
    const since = Math.round(this.clock() - this.confirmedAt);
    this.lose(
      `not renewed in time: last renewal confirmed ${since} ms ago${this.renewing ? ', one in flight' : ''}`,
    );
    return false;
  }

  /**
   * Tries to take the lease: the epoch when taken, undefined when someone holds it. Fails with
   * `ERR_TIMEOUT` when Redis does not answer within one TTL (a lease taken by that late command
   * is never renewed, so it expires on its own).
   */
  async acquire(): Promise<number | undefined> {
    const sent = this.clock();
    const reply = arrayReply(
      await withTimeout(
        ACQUIRE.run(
          this.client,
          [this.keys.lease, this.keys.epoch, this.keys.vacantFrom],
          [this.o.owner, String(this.o.ttlMs)],
        ),
        this.o.ttlMs,
        'lease acquire',
      ),
      'acquire',
    );
    if (intReply(reply[0], 'acquire') !== 1) return undefined;
    this.epochValue = intReply(reply[1], 'acquire');
    const vacant = reply[2] === undefined ? -1 : intReply(reply[2], 'acquire');
    this.vacant = vacant < 0 ? undefined : vacant;
    this.confirmed(sent);
    this.scheduleRenew();
    return this.epochValue;
  }

  /** Stops renewing and deletes the lease if still ours (best effort: it expires anyway). */
  async release(): Promise<void> {
    this.stopTimers();
    const held = this.epochValue !== undefined && !this.lost;
    this.lost = true;
    if (held)
      await withTimeout(
        RELEASE.run(this.client, [this.keys.lease, this.keys.vacantFrom], [this.token()]),
        this.o.ttlMs,
        'lease release',
      );
  }

  /** Stops renewing without touching Redis (the lease then expires on its own). */
  abandon(): void {
    this.stopTimers();
    this.lost = true;
  }

  private token(): string {
    return `${this.o.owner}|${this.epoch}`;
  }

  private confirmed(sentAt: number): void {
    this.confirmedAt = this.clock();
    this.validUntil = Math.max(this.validUntil, sentAt + this.o.ttlMs * (this.o.fenceAt ?? 0.75));
    clearTimer(this.fenceTimer);
    // Judged after the loop has read its sockets once more (see withTimeout): after a stall,
    // timers run before the replies that arrived meanwhile, and a renewal confirmed by one of
    // them keeps the lease (its window counts from its send time, so it is safe however late).
    this.fenceTimer = setTimeout(
      () => (this.fenceTimer = setImmediate(() => this.valid())),
      Math.max(0, this.validUntil - this.clock()) + 1,
    );
  }

  private scheduleRenew(): void {
    const every = this.o.ttlMs / (this.o.renewsPerTtl ?? 4);
    this.renewTimer = setTimeout(() => void this.renew(), every);
  }

  private async renew(): Promise<void> {
    this.renewTimer = undefined;
    if (this.lost) return;
    this.scheduleRenew();
    // One renewal at a time: a hung one (Redis paused) is not stacked on; the fence timer decides.
    if (this.renewing) return;
    this.renewing = true;
    const sent = this.clock();
    try {
      const ok = intReply(
        await withTimeout(
          RENEW.run(
            this.client,
            [this.keys.lease, this.keys.vacantFrom],
            [this.token(), String(this.o.ttlMs)],
          ),
          this.o.ttlMs,
          'lease renew',
        ),
        'renew',
      );
      if (this.lost) return;
      // A confirmation read late still counts: its window runs from its send time.
      if (ok === 1) this.confirmed(sent);
      else this.lose('the lease is held by another owner or expired');
    } catch {
      // A failed renewal is retried at the next tick; the fence timer stops the owner in time.
    } finally {
      this.renewing = false;
    }
  }

  private lose(why: string): void {
    if (this.lost) return;
    this.lost = true;
    this.stopTimers();
    this.o.onLost(
      new ChatshiftError('ERR_LEASE_LOST', `shard ${this.o.shard}: lease lost (${why})`, {
        details: { shard: this.o.shard, epoch: this.epochValue },
      }),
    );
  }

  private stopTimers(): void {
    clearTimeout(this.renewTimer);
    clearTimer(this.fenceTimer);
    this.renewTimer = undefined;
    this.fenceTimer = undefined;
  }
}

function clearTimer(t: NodeJS.Timeout | NodeJS.Immediate | undefined): void {
  if (t === undefined) return;
  if ('hasRef' in t && 'refresh' in t) clearTimeout(t);
  else clearImmediate(t as NodeJS.Immediate);
}
