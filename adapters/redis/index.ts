/** `chatshift/redis`: scale-out over Redis — fenced checkpoints, shard leases, the sharded runner. */

/** The minimal Redis client surface chatshift uses (node-redis v5 fits as is). */
export type { RedisClientLike } from './client.js';
/** {@inheritDoc redisCheckpointStore} */
export { redisCheckpointStore } from './checkpoint-store.js';
/** Options of `redisCheckpointStore`. */
export type { RedisCheckpointStoreOptions } from './checkpoint-store.js';
/** {@inheritDoc ShardLease} */
export { ShardLease } from './lease.js';
/** Options of `ShardLease`. */
export type { ShardLeaseOptions } from './lease.js';
/** {@inheritDoc shardedConversationEvents} */
export { shardedConversationEvents } from './sharded.js';
/** Options and result of `shardedConversationEvents`. */
export type { ShardedConversationEventsOptions, ShardedRunner } from './sharded.js';
/** {@inheritDoc shardedConsume} */
export { shardedConsume } from './sharded-consume.js';
/** Options and result of `shardedConsume`. */
export type { ShardedConsumeOptions, ShardedConsumer } from './sharded-consume.js';
/** {@inheritDoc shardFlagContext} */
export { shardFlagContext } from './shard.js';
/** Shards, their context, sharded events and ownership changes. */
export type {
  OwnershipChange,
  ShardBackends,
  ShardContext,
  ShardedEvent,
  ShardedHandler,
  ShardSpec,
} from './shard.js';
/** {@inheritDoc rendezvousOwner} */
export { rendezvousOwner } from './membership.js';
