import * as t from 'io-ts';
import type { CheckpointMap, CheckpointStore, ConversationCheckpoint } from '../../src/checkpoint/store.js';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import { formatValidationErrors } from '../../src/model/decode.js';
import { OptionsChecker } from '../../src/runtime/options.js';
import { noopMetrics, type Metrics } from '../../src/runtime/metrics.js';
import {
  arrayReply,
  hashReply,
  intReply,
  isShardId,
  LuaScript,
  shardKeys,
  type RedisClientLike,
} from './client.js';

/**
 * The save script. KEYS: the shard's checkpoint hash, its epoch counter, the backend's closed set
 * (a sorted set of the fields of closed conversations, scored in the order they were first saved
 * closed). ARGV: the saver's epoch ('' = unfenced), the field prefix (the backend), how many
 * closed conversations to keep, then pairs of conversation id and value ('' = delete). A value is
 * `seq|closed|json`, so the script compares cursors without decoding JSON. Replies `{1, current}`
 * when the saver's epoch is older than the counter (nothing written), else `{0, skipped, pruned}`:
 * entries that would move a cursor backwards (or reopen a closed one) are kept as they were, and
 * the oldest closed conversations beyond the limit are dropped from the hash.
 */
export const SAVE_SCRIPT = new LuaScript(`
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
local mine = tonumber(ARGV[1])
if mine ~= nil and mine < current then return {1, current} end
local top = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
local order = tonumber(top[2] or '0')
local skipped = 0
for i = 4, #ARGV, 2 do
  local field = ARGV[2] .. ARGV[i]
  local v = ARGV[i + 1]
  if v == '' then
    redis.call('HDEL', KEYS[1], field)
    redis.call('ZREM', KEYS[3], field)
  else
    local ns, nc = string.match(v, '^([^|]*)|([01])|')
    local old = redis.call('HGET', KEYS[1], field)
    local back = false
    if old then
      local os, oc = string.match(old, '^([^|]*)|([01])|')
      os = tonumber(os)
      local n = tonumber(ns)
      if os ~= nil and n ~= nil and (os > n or (os == n and oc == '1' and nc == '0')) then back = true end
    end
    if back then skipped = skipped + 1 else
      redis.call('HSET', KEYS[1], field, v)
      if nc == '1' and not redis.call('ZSCORE', KEYS[3], field) then
        order = order + 1
        redis.call('ZADD', KEYS[3], order, field)
      end
    end
  end
end
local pruned = 0
local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[3])
if excess > 0 then
  local gone = redis.call('ZRANGE', KEYS[3], 0, excess - 1)
  for _, f in ipairs(gone) do redis.call('HDEL', KEYS[1], f) end
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, excess - 1)
  pruned = #gone
end
return {0, skipped, pruned}
`);

const CheckpointCodec = t.intersection([
  t.type({ seq: t.number }),
  t.partial({ closed: t.boolean, meta: t.UnknownRecord }),
]);

/** Options of {@link redisCheckpointStore}. */
export interface RedisCheckpointStoreOptions {
  /** The shard (one agent user) whose checkpoints these are: one hash per shard. */
  shard: string;
  /**
   * The owner's fencing epoch (a number, or a function read at each save, e.g. a lease's). A save
   * whose epoch is older than the shard's epoch counter is rejected with `ERR_CHECKPOINT_FENCED`.
   * Unset: saves are not fenced (a single instance).
   */
  epoch?: number | (() => number);
  /**
   * While this returns false, saves are refused with `ERR_CHECKPOINT_FENCED` without reaching
   * Redis: the sharded runner passes its lease's check, so an owner past its lease window saves
   * nothing — not even the best-effort flush of a source it has just stopped, whose cursors may
   * cover events it never handed to the application.
   */
  owned?: () => boolean;
  /** Key prefix. Default `chatshift`. Keys: `<prefix>:{<shard>}:checkpoints` (and `:epoch`). */
  prefix?: string;
  /**
   * How many closed conversations each backend of the shard keeps (the most recently closed):
   * enough for a restarted or taken-over source not to follow them again (its dedupe of a closed
   * conversation is this entry); older ones are dropped by the save script, so the hash stays
   * O(open conversations + maxClosed). Default 1000 (one agent has at most 999 open).
   */
  maxClosed?: number;
  /** Counter `lease.fenced`: saves refused (a stale epoch, or past the lease window). */
  metrics?: Metrics;
}

/**
 * A {@link CheckpointStore} in Redis: one hash per shard, a field per backend and conversation
 * (closed conversations beyond `maxClosed` per backend are dropped, the oldest first).
 * A save is one Lua script (one round trip, atomic) that rejects a stale fencing epoch with
 * `ERR_CHECKPOINT_FENCED` and never moves a cursor backwards; a load is one HGETALL. A stored entry
 * that cannot be decoded fails the load with `ERR_CHECKPOINT_CORRUPT`; a client failure is
 * `ERR_CHECKPOINT_IO`.
 */
export function redisCheckpointStore(
  client: RedisClientLike,
  options: RedisCheckpointStoreOptions,
): CheckpointStore {
  const check = new OptionsChecker('redisCheckpointStore');
  check.withMethods('client', client, ['sendCommand'], 'a Redis client');
  if (client === undefined) check.fail('client', 'a Redis client (an object with sendCommand)');
  const o = check.object(options);
  if (!isShardId(o['shard']))
    check.fail('shard', 'a non-empty string without { or } (at most 200 characters)');
  const epoch = o['epoch'];
  if (
    epoch !== undefined &&
    typeof epoch !== 'function' &&
    !(Number.isSafeInteger(epoch) && (epoch as number) >= 0)
  )
    check.fail('epoch', 'an integer >= 0 or a function returning one');
  const prefix = o['prefix'] === undefined ? 'chatshift' : check.nonEmptyString('prefix', o['prefix']);
  const metrics =
    check.withMethods<Metrics>('metrics', o['metrics'], ['increment'], 'a counter sink') ?? noopMetrics;
  const maxClosed = o['maxClosed'] ?? 1000;
  if (!Number.isSafeInteger(maxClosed) || (maxClosed as number) < 0)
    check.fail('maxClosed', 'an integer >= 0');
  const owned = o['owned'];
  if (owned !== undefined && typeof owned !== 'function') check.fail('owned', 'a function');
  const shard = options.shard;
  const keys = shardKeys(prefix, shard);
  const epochNow = (): string =>
    epoch === undefined ? '' : String(typeof epoch === 'function' ? (epoch as () => number)() : epoch);

  return {
    async load(backend) {
      let reply: unknown;
      try {
        reply = await client.sendCommand(['HGETALL', keys.checkpoints]);
      } catch (cause) {
        throw new ChatshiftError('ERR_CHECKPOINT_IO', `redis: checkpoint load of shard ${shard} failed`, {
          cause,
        });
      }
      const out: CheckpointMap = {};
      const head = `${backend}:`;
      for (const [field, value] of hashReply(reply, 'HGETALL')) {
        if (!field.startsWith(head)) continue;
        out[field.slice(head.length)] = decodeValue(value, shard, field);
      }
      return out;
    },
    async save(backend, changes) {
      if (options.owned !== undefined && !options.owned()) {
        metrics.increment('lease.fenced');
        throw new ChatshiftError(
          'ERR_CHECKPOINT_FENCED',
          `redis: checkpoint save of shard ${shard} refused: its lease is gone`,
          {
            details: { shard, backend },
          },
        );
      }
      const args = [epochNow(), `${backend}:`, String(maxClosed)];
      for (const [id, entry] of Object.entries(changes))
        args.push(id, entry === null ? '' : encodeValue(entry));
      if (args.length === 3) return;
      let reply: unknown[];
      try {
        reply = arrayReply(
          await SAVE_SCRIPT.run(client, [keys.checkpoints, keys.epoch, `${keys.closed}:${backend}`], args),
          'the save script',
        );
      } catch (cause) {
        if (isChatshiftError(cause)) throw cause;
        throw new ChatshiftError('ERR_CHECKPOINT_IO', `redis: checkpoint save of shard ${shard} failed`, {
          cause,
        });
      }
      const [status, n] = [intReply(reply[0], 'the save script'), intReply(reply[1], 'the save script')];
      if (status === 1) {
        metrics.increment('lease.fenced');
        throw new ChatshiftError(
          'ERR_CHECKPOINT_FENCED',
          `redis: checkpoint save of shard ${shard} rejected: epoch ${args[0]} is older than ${n}`,
          { details: { shard, epoch: Number(args[0]), current: n, backend } },
        );
      }
    },
  };
}

/** `seq|closed|json`: the cursor in front, for the script to compare. */
function encodeValue(entry: ConversationCheckpoint): string {
  return `${entry.seq}|${entry.closed === true ? 1 : 0}|${JSON.stringify(entry)}`;
}

function decodeValue(value: string, shard: string, field: string): ConversationCheckpoint {
  const m = /^[^|]*\|[01]\|/.exec(value);
  let json: unknown;
  try {
    if (m === null) throw new Error('no cursor prefix');
    json = JSON.parse(value.slice(m[0].length));
  } catch (cause) {
    throw new ChatshiftError(
      'ERR_CHECKPOINT_CORRUPT',
      `redis: checkpoint ${field} of shard ${shard} is not readable`,
      {
        cause,
      },
    );
  }
  const r = CheckpointCodec.decode(json);
  if (r._tag === 'Left')
    throw new ChatshiftError(
      'ERR_CHECKPOINT_CORRUPT',
      `redis: checkpoint ${field} of shard ${shard} has an unexpected shape: ${formatValidationErrors(r.left).slice(0, 2).join('; ')}`,
    );
  return r.right as ConversationCheckpoint;
}
