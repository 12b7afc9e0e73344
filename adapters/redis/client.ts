import { createHash } from 'node:crypto';
import { ChatshiftError } from '../../src/errors.js';

/**
 * The one command chatshift needs from a Redis client: send a command as its words and resolve with
 * the reply. A node-redis v5 client (`createClient()` from `redis`) fits as it is. ioredis users
 * adapt theirs in one line:
 *
 * ```ts
 * import type { RedisClientLike } from 'chatshift/redis';
 * declare const ioredis: { call(command: string, ...args: string[]): Promise<unknown> };
 *
 * const client: RedisClientLike = { sendCommand: ([cmd, ...args]) => ioredis.call(cmd!, ...args) };
 * ```
 *
 * Replies chatshift reads: integers (numbers), bulk strings, `null`, and arrays of those (RESP2 or
 * RESP3 both work). The client owns connecting and reconnecting.
 */
export interface RedisClientLike {
  sendCommand(args: string[]): Promise<unknown>;
}

/** A Lua script sent by its SHA1 (EVALSHA), falling back to EVAL once the server forgot it (a restart). */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClientLike, keys: readonly string[], args: readonly string[]): Promise<unknown> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await client.sendCommand(['EVALSHA', this.sha, ...tail]);
    } catch (e) {
      if (!/NOSCRIPT/.test(e instanceof Error ? e.message : String(e))) throw e;
      return client.sendCommand(['EVAL', this.source, ...tail]);
    }
  }
}

/** A reply expected to be an array. */
export function arrayReply(v: unknown, what: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw new ChatshiftError('ERR_PROTOCOL', `redis: ${what} answered with an unexpected reply`);
}

/** A reply expected to be an integer (RESP integers arrive as numbers; strings of digits accepted). */
export function intReply(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
  if (Number.isSafeInteger(n)) return n;
  throw new ChatshiftError('ERR_PROTOCOL', `redis: ${what} answered with an unexpected reply`);
}

/** A reply expected to be a string (a Buffer is decoded as UTF-8). */
export function stringReply(v: unknown, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  throw new ChatshiftError('ERR_PROTOCOL', `redis: ${what} answered with an unexpected reply`);
}

/** HGETALL's reply as pairs: a flat array (RESP2), a Map or a plain object (RESP3 clients). */
export function hashReply(v: unknown, what: string): Array<[string, string]> {
  if (v instanceof Map) return [...v].map(([k, x]) => [stringReply(k, what), stringReply(x, what)]);
  if (Array.isArray(v)) {
    const out: Array<[string, string]> = [];
    for (let i = 0; i + 1 < v.length; i += 2)
      out.push([stringReply(v[i], what), stringReply(v[i + 1], what)]);
    return out;
  }
  if (typeof v === 'object' && v !== null)
    return Object.entries(v).map(([k, x]) => [k, stringReply(x, what)]);
  throw new ChatshiftError('ERR_PROTOCOL', `redis: ${what} answered with an unexpected reply`);
}

/** Keys of one shard share a hash tag, so each script touches one cluster slot. */
export function shardKeys(prefix: string, shard: string) {
  const tag = `${prefix}:{${shard}}`;
  return {
    checkpoints: `${tag}:checkpoints`,
    epoch: `${tag}:epoch`,
    lease: `${tag}:lease`,
    // The fields of closed conversations (`:<backend>` appended), oldest first: pruned beyond maxClosed.
    closed: `${tag}:closed`,
    // When the current lease ends (Redis time, ms): its expiry, moved at each renewal; the release time.
    vacantFrom: `${tag}:vacant-from`,
  };
}

/** A shard id usable in keys: non-empty, no braces (they would break the hash tag). */
export function isShardId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= 200 && !/[{}]/.test(v);
}

/**
 * `p`, or `ERR_TIMEOUT` after `ms`: a command that never answers (a paused or restarting server,
 * a client holding it in its offline queue) must not stall the loop that sent it.
 *
 * The deadline is judged after the event loop has read its sockets once more: after a stall (a
 * long GC pause, a starved CPU) Node runs due timers *before* it reads the replies that arrived
 * meanwhile, so a bare timer would fail a command whose answer is already waiting — under load,
 * every time. The timer therefore rejects from `setImmediate` (after the I/O phase): a reply that
 * was there wins.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      immediate = setImmediate(() =>
        reject(new ChatshiftError('ERR_TIMEOUT', `redis: ${what} got no answer in ${ms} ms`)),
      );
    }, ms);
  });
  return Promise.race([p, late]).finally(() => {
    clearTimeout(timer);
    clearImmediate(immediate);
  });
}
