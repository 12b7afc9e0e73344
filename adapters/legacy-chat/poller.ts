import type { SchedulerLike, Subscription } from 'rxjs';
import type { Dispatcher } from 'undici';
import { isChatshiftError, type ChatshiftError } from '../../src/errors.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { epochMsToIso, type IsoTime } from '../../src/model/time.js';
import type { ResolvedBackoff } from '../../src/runtime/backoff.js';
import type { BearerSource } from '../../src/runtime/bearer.js';
import type { FlowControl } from '../../src/runtime/flow.js';
import type { HealthReporter } from '../../src/runtime/health.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import { invalidInputReporter, type InvalidInputReporter } from '../../src/runtime/invalid-input.js';
import { RecentlyClosed } from '../../src/runtime/recently-closed.js';
import { CheckpointWriter } from '../../src/checkpoint/writer.js';
import { buildBatches, type Batch, type BatchLimits } from './batches.js';
import {
  fromCheckpoint,
  toCheckpoint,
  type CheckpointStore,
  type ConversationCheckpoint,
} from './checkpoint-meta.js';
import { decodeMultiChat } from './decode.js';
import { AgentSessionClient } from './client.js';
import { AgentSessionManager, type AgentSessionSource } from './agent-session.js';
import { isChatshiftError as isCoded } from '../../src/errors.js';
import { retryDecision } from './retry-policy.js';
import { acceptRinging } from './incoming.js';
import { deliveredMemory, mapChat, sameMemory, type ChatMemory, type MappedChat } from './mapping.js';
import { MAX_EVENT_ID } from './wire.js';

/** Everything the poller needs, already validated and defaulted by the source. */
export interface PollerConfig {
  /** A fixed agent-session URL (v1), or where to create one (with a session). */
  agentSession: AgentSessionSource;
  bearer: BearerSource;
  acceptIncoming: boolean;
  pollIntervalMs: number;
  limits: BatchLimits;
  backoff: ResolvedBackoff;
  maxResponseBytes: number;
  maxAbsentPolls: number;
  requestTimeoutMs: number;
  dispatcher: Dispatcher | undefined;
  scheduler: SchedulerLike;
  logger: Logger;
  metrics: Metrics;
  checkpoint: CheckpointStore | undefined;
  flow: FlowControl | undefined;
  /** Told when a cycle succeeds or a retry is scheduled (the backend's `health$`). */
  health?: HealthReporter;
}

export interface PollerSink {
  next(event: ConversationEvent): void;
  error(error: unknown): void;
  complete(): void;
}

type Origin = 'chats' | 'incoming' | 'checkpoint';
interface Followed {
  memory: ChatMemory;
  origin: Origin;
  /** Polls in a row that asked for this chat and got an answer without it. */
  absent: number;
  /** `info.chatTimeout` in seconds, once read (L6). */
  timeoutS?: number;
}

/**
 * Statuses of a multi-chat request that can come from one of its keys rather than the session
 * (production-behaviour.md L1: an unknown or transferred key fails the whole request, status
 * undocumented; 400 also answers too many keys). The batch is split to find the key.
 */
const KEY_REJECTIONS: ReadonlySet<number> = new Set([400, 404, 409, 410, 422]);

/** Agent sessions replaced in a row (no cycle going through between them) before the 401 is final. */
const MAX_RENEWALS = 3;
/** Cycles in which `chatSessions` is read for the chat of a lost accept (its accept may land late). */
const ACCEPT_RECOVERY_CYCLES = 3;

/** Per cycle: whether the agent session was seen answering (asked once, before dropping a key). */
interface CycleState {
  sessionAnswers?: boolean;
}

/**
 * The legacy poll loop. One cycle: accept ringing chats (optional), one multi-chat request per
 * batch of followed chats, emit, save the checkpoint; then the next cycle is scheduled on the RxJS
 * scheduler after `pollIntervalMs`, or after a backoff delay when the cycle failed. A cycle never
 * overlaps the previous one because the next is scheduled only when one ends.
 */
export class LegacyPoller {
  private readonly followed = new Map<string, Followed>();
  private readonly closed = new RecentlyClosed();
  private readonly writer: CheckpointWriter;
  private readonly report: InvalidInputReporter;
  private readonly client: AgentSessionClient;
  /** The agent session polled: fixed, or created and renewed through the session. */
  readonly agentSession: AgentSessionManager;
  /** Cursors of chats lost with an expired agent session, kept in case they come back (accepted again). */
  private readonly lost = new Map<string, ChatMemory>();
  /** Agent sessions renewed since the last cycle that went through. */
  private renewals = 0;
  /** Cycles left in which to look for a chat whose accept answer was lost (in `chatSessions`). */
  private recoverAccepts = 0;
  private lastSet: readonly string[] = [];
  private timer: Subscription | undefined;
  private abort: AbortController | undefined;
  /** The accept cycle in flight, if any: its answers may come after a stop. */
  private accepting: Promise<void> | undefined;
  private stopped = false;
  private draining = false;
  private failures = 0;

  constructor(
    private readonly cfg: PollerConfig,
    private readonly sink: PollerSink,
  ) {
    this.report = invalidInputReporter(cfg.logger, cfg.metrics);
    this.client = new AgentSessionClient({ ...cfg, report: this.report });
    this.agentSession = new AgentSessionManager(cfg.agentSession, this.client, cfg.logger, cfg.metrics);
    this.writer = new CheckpointWriter({
      backend: 'legacy-chat',
      store: cfg.checkpoint,
      scheduler: cfg.scheduler,
      onError: (e) => this.fail(e),
      logger: cfg.logger,
    });
  }

  /** The current bearer, for the redacting logger. */
  secrets(): string[] {
    return this.client.secrets();
  }

  /** Follows the open chats of a loaded checkpoint and remembers the closed ones. */
  restore(map: Record<string, ConversationCheckpoint>): void {
    for (const [key, entry] of Object.entries(map)) {
      if (entry.closed === true) {
        this.closed.remember(key, true);
        continue;
      }
      const memory = fromCheckpoint(entry);
      if (memory.seq > MAX_EVENT_ID) {
        // A cursor no event id can pass would hide every later event: start the chat over instead.
        this.cfg.metrics.increment('checkpoint.rejected');
        this.cfg.logger.warn(
          'legacy-chat: checkpoint cursor out of range, following the chat from its start',
          {
            chatSessionKey: key,
            seq: memory.seq,
          },
        );
        memory.seq = -1;
      }
      this.followed.set(key, { memory, origin: 'checkpoint', absent: 0 });
    }
  }

  start(): void {
    this.schedule(0);
  }

  /** The current set of chats to follow: added ones are followed, removed ones released. */
  setChats(keys: readonly string[]): void {
    this.lastSet = [...keys];
    const wanted = new Set(keys);
    for (const [key, f] of this.followed) {
      if (f.origin === 'chats' && !wanted.has(key)) this.followed.delete(key);
    }
    if (!this.draining) for (const key of keys) this.follow(key, 'chats');
  }

  setDraining(draining: boolean): void {
    if (draining === this.draining) return;
    this.draining = draining;
    this.cfg.logger.info?.(
      draining ? 'legacy-chat: draining, no new chats' : 'legacy-chat: drain cancelled',
      {
        followed: this.followed.size,
      },
    );
    if (!draining) this.setChats(this.lastSet);
  }

  /**
   * Stops everything: no timer, no poll in flight; the pending checkpoint changes are written
   * (resolves once they are, or once the failure is logged). An accept already sent is let finish
   * (bounded by `requestTimeoutMs`), since the server may have handed us the chat: its key is then
   * saved too.
   */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    this.abort?.abort();
    return this.writer.close();
  }

  /** A chat accepted elsewhere (the actions' `accept`): followed like an accepted incoming chat. */
  adopt(key: string): void {
    if (!this.draining) this.follow(key, 'incoming');
  }

  private follow(key: string, origin: Origin): void {
    if (key === '' || this.followed.has(key) || this.closed.has(key)) return;
    // A chat lost with an expired agent session and accepted again goes on from its cursor.
    const memory = this.lost.get(key) ?? { seq: -1 };
    this.lost.delete(key);
    this.followed.set(key, { memory, origin, absent: 0 });
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = this.cfg.scheduler.schedule(() => {
      this.timer = undefined;
      void this.cycle();
    }, delay);
  }

  private async cycle(): Promise<void> {
    if (this.stopped) return;
    if (this.draining && this.followed.size === 0) return this.finish();
    const abort = new AbortController();
    this.abort = abort;
    let delay = this.cfg.pollIntervalMs;
    try {
      await this.agentSession.ensure(abort.signal);
      if (this.cfg.acceptIncoming && !this.draining) {
        await this.flowing(abort.signal);
        if (this.stopped) return;
        await this.acceptIncoming(abort.signal);
        if (this.recoverAccepts > 0 && !this.stopped) await this.recoverLostAccepts(abort.signal);
        // Accepted chats are saved before they are polled, so a crash right after an accept keeps them.
        if (!(await this.writer.flush()) || this.stopped) return;
      }
      const state: CycleState = {};
      for (const batch of this.batchesOf([...this.followed.keys()])) {
        await this.flowing(abort.signal);
        if (this.stopped) return;
        await this.pollIsolating(batch, abort.signal, state);
      }
      this.failures = 0;
      this.cfg.health?.connected();
      this.renewals = 0;
    } catch (e) {
      if (this.stopped) return;
      const retryIn = (await this.renewAfter(e, abort.signal)) ?? this.onFailure(e);
      if (retryIn === undefined) return;
      delay = retryIn;
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
    if (this.stopped || !(await this.writer.flush()) || this.stopped) return;
    if (this.draining && this.followed.size === 0) return this.finish();
    this.schedule(delay);
  }

  /**
   * After a 401 that a fresh bearer did not cure (L2), a renewable agent session is replaced: the
   * chats its `chatSessions` lists are followed on, every other followed chat is lost to the queue
   * (counted as `chats.lost`, logged at error level). Answers the delay before the next cycle, or
   * `undefined` when `e` is not such a failure (or renewing keeps failing: then the policy decides).
   */
  private async renewAfter(e: unknown, signal: AbortSignal): Promise<number | undefined> {
    if (!this.agentSession.renewable || !isCoded(e, 'ERR_AUTH_REJECTED') || this.renewals >= MAX_RENEWALS)
      return undefined;
    this.renewals += 1;
    this.cfg.logger.warn('legacy-chat: the agent session is gone; creating a new one', {
      renewal: this.renewals,
    });
    let recoverable: Set<string>;
    try {
      recoverable = await this.agentSession.renew(signal);
    } catch (again) {
      if (this.stopped) return 0;
      return this.onFailure(again);
    }
    for (const [key, f] of [...this.followed]) {
      if (recoverable.has(key)) continue;
      this.followed.delete(key);
      this.lost.set(key, f.memory);
      this.cfg.metrics.increment('chats.lost');
      this.cfg.logger.error(
        'legacy-chat: a chat returned to the queue with its expired agent session; no longer followed',
        {
          chatSessionKey: key,
          reason: 'agent-session-expired',
        },
      );
    }
    for (const key of recoverable)
      if (this.cfg.acceptIncoming || this.lost.has(key)) this.follow(key, 'incoming');
    this.cfg.logger.info?.('legacy-chat: following on in the new agent session', {
      recovered: recoverable.size,
    });
    return 0;
  }

  /** After a lost accept answer: chats the agent session holds that are not followed are the taken ones. */
  private async recoverLostAccepts(signal: AbortSignal): Promise<void> {
    this.recoverAccepts -= 1;
    const held = await this.agentSession.chatSessions(signal);
    let found = 0;
    for (const key of held) {
      if (this.followed.has(key) || this.closed.has(key)) continue;
      this.follow(key, 'incoming');
      const f = this.followed.get(key);
      if (f !== undefined) this.writer.mark(key, toCheckpoint(f.memory, false));
      found += 1;
    }
    if (found === 0) return;
    this.recoverAccepts = 0;
    this.cfg.metrics.increment('accept.recovered', found);
    this.cfg.logger.warn(
      'legacy-chat: found the chat of a lost accept answer in chatSessions; following it',
      { recovered: found },
    );
  }

  /** Waits while the consumer's flow control is paused (or until stop() aborts `signal`). */
  private async flowing(signal: AbortSignal): Promise<void> {
    const flow = this.cfg.flow;
    if (flow === undefined || !flow.paused) return;
    this.cfg.metrics.increment('flow.paused');
    this.cfg.logger.debug?.('legacy-chat: consumer is behind; polling waits', { pending: flow.pending });
    await flow.whenFlowing(signal);
  }

  /** Decides what a failed cycle means (retry-policy.ts): the delay before the next one, or `undefined` when fatal. */
  private onFailure(e: unknown): number | undefined {
    const d = retryDecision(
      e,
      this.failures + 1,
      this.cfg.backoff,
      this.chatTimeoutCapMs(),
      this.cfg.scheduler.now(),
    );
    if (d.kind === 'fail') {
      this.fail(d.error);
      return undefined;
    }
    this.failures += 1;
    this.cfg.health?.backingOff(d.error.code);
    this.cfg.metrics.increment('retries');
    this.cfg.logger.warn('legacy-chat: poll failed, retrying', {
      code: d.error.code,
      status: d.status,
      attempt: this.failures,
      delayMs: d.delayMs,
      message: d.error.message,
    });
    return d.delayMs;
  }

  private chatTimeoutCapMs(): number {
    let cap = Number.POSITIVE_INFINITY;
    for (const f of this.followed.values()) {
      if (f.timeoutS !== undefined && f.timeoutS > 0) cap = Math.min(cap, (f.timeoutS * 1000) / 2);
    }
    return cap;
  }

  private fail(error: ChatshiftError): void {
    this.cfg.logger.error('legacy-chat: stopping', { code: error.code, message: error.message });
    this.stop();
    this.sink.error(error);
  }

  private finish(): void {
    this.cfg.logger.info?.('legacy-chat: drained, completing');
    this.stop();
    this.sink.complete();
  }

  private batchesOf(keys: readonly string[]): Batch[] {
    const entries: { key: string; cursor: number }[] = [];
    for (const key of keys) {
      const f = this.followed.get(key);
      if (f !== undefined) entries.push({ key, cursor: f.memory.seq });
    }
    return buildBatches(this.agentSession.url, entries, this.cfg.limits);
  }

  /**
   * Polls a batch; when the server refuses it for one of its keys, splits it in halves until the
   * key is alone, then drops that chat (once the session is seen answering, so a session-wide
   * 404 is not mistaken for a bad key). Other chats keep flowing. O(log n) extra requests per key.
   */
  private async pollIsolating(batch: Batch, signal: AbortSignal, state: CycleState): Promise<void> {
    let rejection: ChatshiftError;
    try {
      return await this.pollBatch(batch, signal);
    } catch (e) {
      const status = isChatshiftError(e, 'ERR_HTTP_STATUS') ? e.details['status'] : undefined;
      if (typeof status !== 'number' || !KEY_REJECTIONS.has(status)) throw e;
      rejection = e as ChatshiftError;
    }
    const [only] = batch.keys;
    if (batch.keys.length === 1 && only !== undefined) {
      state.sessionAnswers ??= await this.sessionAnswers(signal);
      return this.drop(only, 'the server refused it', { status: rejection.details['status'] });
    }
    this.cfg.metrics.increment('batches.split');
    const half = Math.ceil(batch.keys.length / 2);
    for (const part of [batch.keys.slice(0, half), batch.keys.slice(half)]) {
      for (const b of this.batchesOf(part)) {
        await this.flowing(signal);
        if (this.stopped) return;
        await this.pollIsolating(b, signal, state);
      }
    }
  }

  /** True once `incomingRequests` answers; throws its error when the session itself is gone. */
  private async sessionAnswers(signal: AbortSignal): Promise<boolean> {
    const base = this.agentSession.url.replace(/\/+$/, '');
    await this.client.send('GET', `${base}/incomingRequests?v=1&NC=true`, undefined, signal);
    return true;
  }

  /** Stops following a chat for good: reported, counted, saved as done so a restart does not follow it. */
  private drop(key: string, why: string, fields: Record<string, unknown>): void {
    const f = this.followed.get(key);
    if (f === undefined) return;
    this.followed.delete(key);
    this.closed.remember(key, true);
    this.writer.mark(key, toCheckpoint(f.memory, true));
    this.cfg.metrics.increment('chats.dropped');
    this.cfg.logger.warn(`legacy-chat: dropped a chat: ${why}`, { chatSessionKey: key, ...fields });
  }

  private async pollBatch(batch: Batch, signal: AbortSignal): Promise<void> {
    const body = await this.client.json('GET', batch.url, 'multi-chat', signal);
    if (body === undefined) return;
    const { chats, problems } = decodeMultiChat(body);
    for (const p of problems) {
      this.report({
        code: p.code,
        message:
          p.code === 'ERR_PROTOCOL'
            ? 'legacy-chat: error reported inside a 2xx'
            : 'legacy-chat: skipped a schema-invalid part of a response',
        errors: p.errors,
        fields: { chatSessionKey: p.chatSessionKey, paths: p.paths },
      });
    }
    const asked = new Set(batch.keys);
    // A chat is absent only from an answer that was read whole: not from one a problem cut short.
    let whole = true;
    const seen = new Set<string>();
    for (const p of problems) {
      if (p.chatSessionKey !== undefined) seen.add(p.chatSessionKey);
      // An `error` element in place of a chat (an unknown key, one variant of L1) names no key.
      else if (!p.paths.every((path) => /^chats\/chat\/\d+\/error$/.test(path))) whole = false;
    }
    for (const chat of chats) {
      const f = this.followed.get(chat.key);
      if (f === undefined || !asked.has(chat.key)) continue;
      seen.add(chat.key);
      f.absent = 0;
      if (chat.info.chatTimeout !== undefined) f.timeoutS = chat.info.chatTimeout;
      const mapped = mapChat(chat, f.memory, this.now());
      if (mapped.duplicates > 0) this.cfg.metrics.increment('events.duplicates', mapped.duplicates);
      for (const u of mapped.unknown) {
        this.cfg.logger.warn('legacy-chat: skipped an event of unknown type', {
          chatSessionKey: chat.key,
          ...u,
        });
      }
      if (mapped.gaps > 0) {
        this.cfg.metrics.increment('gaps', mapped.gaps);
        this.cfg.logger.warn('legacy-chat: event ids missing', {
          chatSessionKey: chat.key,
          missing: mapped.gaps,
        });
      }
      for (let i = 0; i < mapped.events.length; i++) {
        // The consumer stopped inside next() (take(n), first()): keep exactly what it received.
        if (this.stopped) return this.keepDelivered(chat.key, f, mapped, i);
        this.sink.next(mapped.events[i] as ConversationEvent);
        this.cfg.metrics.increment('events.emitted');
      }
      const isClosed = mapped.memory.state === 'closed';
      const changed = isClosed || !sameMemory(mapped.memory, f.memory);
      f.memory = mapped.memory;
      if (changed) this.writer.mark(chat.key, toCheckpoint(mapped.memory, isClosed));
      if (isClosed) {
        // The cursor is released: memory stays O(open chats).
        this.followed.delete(chat.key);
        this.closed.remember(chat.key, true);
      }
    }
    if (!whole || this.stopped) return;
    for (const key of batch.keys) {
      const f = this.followed.get(key);
      if (f === undefined || seen.has(key)) continue;
      f.absent += 1;
      if (f.absent >= this.cfg.maxAbsentPolls) {
        this.drop(key, `absent from ${f.absent} answers in a row`, { absentPolls: f.absent });
      }
    }
  }

  /**
   * After a stop in the middle of a chat's events: saves the cursor and derived state of what was delivered,
   * so a resume neither re-delivers those nor skips the rest (the writer saves a mark made after
   * its close at once).
   */
  private keepDelivered(key: string, f: Followed, mapped: MappedChat, delivered: number): void {
    const memory = deliveredMemory(f.memory, mapped, delivered);
    if (sameMemory(memory, f.memory)) return;
    f.memory = memory;
    this.writer.mark(key, toCheckpoint(memory, false));
  }

  /**
   * Resolves once an accept sent before the stop has been answered and the chat it took is saved
   * (bounded by the request deadline). A later subscription waits for this before it loads the
   * checkpoint: that chat no longer rings, so the checkpoint is the only place that names it.
   */
  async settled(): Promise<void> {
    await this.accepting?.catch(() => undefined);
    await this.writer.flush();
  }

  private acceptIncoming(signal: AbortSignal): Promise<void> {
    const accepting = this.acceptRinging(signal);
    this.accepting = accepting;
    return accepting;
  }

  private acceptRinging(signal: AbortSignal): Promise<void> {
    return acceptRinging(this.client, this.agentSession.url, signal, {
      more: () => !this.stopped && !this.draining,
      accepted: (key) => {
        this.follow(key, 'incoming');
        // An accepted chat no longer rings: it must reach the checkpoint now, not with its first
        // events, or a stop before that poll would lose it for good (found by the restart runs).
        const followed = this.followed.get(key);
        if (followed !== undefined) this.writer.mark(key, toCheckpoint(followed.memory, false));
      },
      lost: () => (this.recoverAccepts = ACCEPT_RECOVERY_CYCLES),
      logger: this.cfg.logger,
      metrics: this.cfg.metrics,
      report: this.report,
    });
  }

  private now(): IsoTime {
    return epochMsToIso(this.cfg.scheduler.now()) ?? ('1970-01-01T00:00:00.000Z' as IsoTime);
  }
}
