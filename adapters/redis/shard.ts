import type { SchedulerLike } from 'rxjs';
import type { Dispatcher } from 'undici';
import type { WebSocketConstructor } from '../../src/runtime/websocket.js';
import type { ConversationActions } from '../../src/actions/conversation-actions.js';
import type { HandlerContext } from '../../src/consume/consume.js';
import type { BackendFlag } from '../../src/cutover/backend-flag.js';
import type { ConversationEvent } from '../../src/model/event.js';
import type { Backend } from '../../src/runtime/backend.js';
import type { OptionsChecker } from '../../src/runtime/options.js';
import { isShardId } from './client.js';

/** What a shard's `backends()` gets when its owner starts it. */
export interface ShardContext {
  readonly shard: string;
  /** The fencing epoch of this ownership. */
  readonly epoch: number;
  /**
   * Pass it as the backends' `scheduler`: their timers (polls, reconnects, saves) then run only
   * while the lease is valid, so an owner woken after its lease expired sends nothing.
   */
  readonly scheduler: SchedulerLike;
  /**
   * Pass the result as the legacy backend's `dispatcher`: `base` (default: undici's global
   * dispatcher) sending a request only while the lease is valid. The scheduler stops a fenced
   * owner's timers; this stops the requests that follow an answer without a timer (the next
   * request of a poll cycle after a long stall). A refused request fails with `ERR_LEASE_LOST`.
   */
  guardDispatcher(base?: Dispatcher): Dispatcher;
  /**
   * Pass the result as the messaging backend's `WebSocket`: `base` (default: the `ws` package's)
   * opening a socket and sending a frame only while the lease is valid (a frame past it
   * terminates the socket instead).
   */
  guardWebSocket(base?: WebSocketConstructor): WebSocketConstructor;
  /** True while this ownership's lease is held and inside its window (no side effects). */
  owned(): boolean;
}

/** One shard = one agent user (its legacy agent session and/or its messaging connection). */
export interface ShardSpec {
  /** Stable id, the same on every instance (e.g. `${accountId}:${agentUserId}`); no `{` or `}`. */
  id: string;
  /** The account, for per-shard flag evaluation (OpenFeature context). */
  accountId?: string;
  /** The agent user, for per-shard flag evaluation (OpenFeature context). */
  agentId?: string;
  /**
   * Builds the shard's backends (called once per ownership, after the lease is held). Build the
   * agent's login here too (`loginSession({ …, dispatcher: context.guardDispatcher(), scheduler:
   * context.scheduler })`) and return its `close` as `dispose`: LivePerson keeps one session per
   * agent user (a second login logs the first out), so the ownership that ends must stop
   * refreshing before the next owner logs in.
   */
  backends(context: ShardContext): ShardBackends;
  /**
   * This shard's flag, e.g. `fromOpenFeature(client, 'backend', shardFlagContext(shard))`. Default:
   * the runner's `backend`.
   */
  backend?: BackendFlag;
}

/** What a shard's `backends()` returns. */
export interface ShardBackends {
  legacy?: Backend | undefined;
  messaging?: Backend | undefined;
  /**
   * Runs once when this ownership ends, after the shard's stream has stopped: on a graceful stop
   * (a handoff, SIGTERM) before its lease is released — awaited for at most one lease TTL — so the
   * next owner starts after it (close the shard's login session here: its logout comes before the
   * next owner's login); after a fence, at once and not awaited (its requests, through the guards,
   * are refused past the lease). A failure is logged and does not hold the release back.
   */
  dispose?: () => void | Promise<void>;
}

/** An event and the shard (and ownership epoch) it came from, with that shard's actions. */
export interface ShardedEvent {
  shard: string;
  epoch: number;
  event: ConversationEvent;
  /**
   * The outbound actions of the shard's agent, on this instance's ownership (`conversationActions`
   * over the shard's backends): answer `event` with `actions.send(event, …)`. Once the ownership
   * has ended (released or fenced) every action rejects with `ERR_LEASE_LOST` and sends nothing,
   * so a late handler on an old owner never acts for an agent another instance now serves.
   * Undefined when one of the shard's backends has no actions (a backend written outside chatshift).
   */
  actions: ConversationActions | undefined;
}

/** A handler of `shardedConsume`: an event of an owned shard, with its actions. */
export type ShardedHandler = (event: ShardedEvent, context: HandlerContext) => unknown;

/**
 * One ownership change, emitted: `owned` when the lease is held, before the shard's sources start;
 * `released` after a graceful stop once its checkpoints are flushed and the lease released
 * (`reason` 'handoff'; 'handoff-unflushed' when its final flush failed — the lease window passed
 * or Redis was unreachable — so the next owner delivers the events since the last save again;
 * 'handoff-timeout' when the stop took longer than `handoffTimeoutMs` and was given up without
 * the final flush; after its stream ended or failed, 'completed' or the error
 * code); `fenced` when the owner stopped
 * the shard because its lease was lost (`lease-lost`) or a save was rejected (`save-fenced`).
 */
export interface OwnershipChange {
  shard: string;
  epoch: number;
  /** The instance (with its per-subscription suffix). */
  instance: string;
  change: 'owned' | 'released' | 'fenced';
  reason?: string;
}

/** The OpenFeature evaluation context of a shard: its account and agent. */
export function shardFlagContext(
  shard: Pick<ShardSpec, 'id' | 'accountId' | 'agentId'>,
): Record<string, string> {
  return {
    targetingKey: shard.agentId ?? shard.id,
    shard: shard.id,
    ...(shard.accountId === undefined ? {} : { accountId: shard.accountId }),
    ...(shard.agentId === undefined ? {} : { agentId: shard.agentId }),
  };
}

/** Checks one shard spec of the runner's options. */
export function shardOptions(check: OptionsChecker, v: unknown, i: number, runnerHasFlag: boolean): void {
  const sh = v as Partial<ShardSpec> | null;
  if (typeof sh !== 'object' || sh === null) check.fail(`shards[${i}]`, 'an object');
  if (!isShardId(sh.id))
    check.fail(`shards[${i}].id`, 'a non-empty string without { or } (at most 200 characters)');
  if (typeof sh.backends !== 'function')
    check.fail(`shards[${i}].backends`, 'a function building its backends');
  if (sh.backend === undefined && !runnerHasFlag)
    check.fail(`shards[${i}].backend`, "given (or the runner's backend)");
  for (const k of ['accountId', 'agentId'] as const)
    if (sh[k] !== undefined && (typeof sh[k] !== 'string' || sh[k] === ''))
      check.fail(`shards[${i}].${k}`, 'a non-empty string');
}
