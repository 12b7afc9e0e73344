import { createHash } from 'node:crypto';
import { arrayReply, intReply, LuaScript, stringReply, type RedisClientLike } from './client.js';

/**
 * KEYS: members sorted set (score = expiry, Redis time ms), joined-at hash. ARGV: id, ttl ms,
 * '1' to leave, how long an expired member is remembered (ms). Replies
 * `{now, id1, joined1, id2, joined2, …}` for the live members (expiry in the future).
 *
 * An expired member is forgotten (with its join time) only `keep` ms after it expired: an
 * instance whose heartbeats were late (a long GC pause, a starved CPU) comes back with the join
 * time it had, instead of sitting out a new join grace while the others take its shards and then
 * hand them back — churn that, repeated under load, kept shards from settling.
 */
const HEARTBEAT = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] == '1' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('HSETNX', KEYS[2], ARGV[1], now)
end
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[4]))
for _, id in ipairs(gone) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
local out = {now}
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')
for _, id in ipairs(live) do
  table.insert(out, id)
  table.insert(out, tonumber(redis.call('HGET', KEYS[2], id) or now))
end
return out
`);

/** How many TTLs an expired member (and its join time) is remembered. */
const REMEMBER_TTLS = 10;

/** The live instances as one heartbeat saw them. */
export interface MembershipView {
  /** Redis server time, ms. */
  now: number;
  /** Live instance ids with the Redis time each joined. */
  members: Array<{ id: string; joinedAt: number }>;
}

/** Registers `id` as live for `ttlMs` (or removes it with `leave`) and reads the live set, in one round trip. */
export async function heartbeat(
  client: RedisClientLike,
  prefix: string,
  id: string,
  ttlMs: number,
  leave = false,
): Promise<MembershipView> {
  const r = arrayReply(
    await HEARTBEAT.run(
      client,
      [`${prefix}:members`, `${prefix}:members:joined`],
      [id, String(Math.round(ttlMs)), leave ? '1' : '0', String(Math.round(ttlMs * REMEMBER_TTLS))],
    ),
    'heartbeat',
  );
  const members: MembershipView['members'] = [];
  for (let i = 1; i + 1 < r.length; i += 2)
    members.push({ id: stringReply(r[i], 'heartbeat'), joinedAt: intReply(r[i + 1], 'heartbeat') });
  return { now: intReply(r[0], 'heartbeat'), members };
}

/**
 * Rendezvous (highest random weight) hashing: the member with the highest hash of
 * `shard + member` owns the shard. Every instance computes the same answer from the same member
 * list, and when a member joins or leaves only the shards it wins or held move.
 */
export function rendezvousOwner(shard: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = '';
  for (const m of members) {
    const score = createHash('sha1').update(shard).update('\u0000').update(m).digest('hex');
    if (best === undefined || score > bestScore) [best, bestScore] = [m, score];
  }
  return best;
}
