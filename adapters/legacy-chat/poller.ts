import type { SchedulerLike, Subscription } from 'rxjs';
import type { Dispatcher } from 'undici';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { epochMsToIso, type IsoTime } from '../../src/model/time.js';
import { backoffDelay, type ResolvedBackoff } from '../../src/runtime/backoff.js';
import type { BearerSource } from '../../src/runtime/bearer.js';
import type { FlowControl } from '../../src/runtime/flow.js';
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
import { acceptRinging } from './incoming.js';
import { mapChat, type ChatMemory } from './mapping.js';

/** Everything the poller needs, already validated and defaulted by the source. */
export interface PollerConfig {
  agentSessionUrl: string;
  bearer: BearerSource;
  acceptIncoming: boolean;
  pollIntervalMs: number;
  limits: BatchLimits;
  backoff: ResolvedBackoff;
  maxResponseBytes: number;
  requestTimeoutMs: number;
  dispatcher: Dispatcher | undefined;
  scheduler: SchedulerLike;
  logger: Logger;
  metrics: Metrics;
  checkpoint: CheckpointStore | undefined;
  flow: FlowControl | undefined;
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
  private lastSet: readonly string[] = [];
  private timer: Subscription | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private draining = false;
  private failures = 0;

  constructor(
    private readonly cfg: PollerConfig,
    private readonly sink: PollerSink,
  ) {
    this.report = invalidInputReporter(cfg.logger, cfg.metrics);
    this.client = new AgentSessionClient({ ...cfg, report: this.report });
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
      if (entry.closed === true) this.closed.remember(key, true);
      else this.followed.set(key, { memory: fromCheckpoint(entry), origin: 'checkpoint' });
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

  private follow(key: string, origin: Origin): void {
    if (key === '' || this.followed.has(key) || this.closed.has(key)) return;
    this.followed.set(key, { memory: { seq: -1 }, origin });
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
      if (this.cfg.acceptIncoming && !this.draining) {
        await this.flowing(abort.signal);
        if (this.stopped) return;
        await this.acceptIncoming(abort.signal);
        // Accepted chats are saved before they are polled, so a crash right after an accept keeps them.
        if (!(await this.writer.flush()) || this.stopped) return;
      }
      const entries = [...this.followed].map(([key, f]) => ({ key, cursor: f.memory.seq }));
      for (const batch of buildBatches(this.cfg.agentSessionUrl, entries, this.cfg.limits)) {
        await this.flowing(abort.signal);
        if (this.stopped) return;
        await this.pollBatch(batch, abort.signal);
      }
      this.failures = 0;
    } catch (e) {
      if (this.stopped) return;
      const retryIn = this.onFailure(e);
      if (retryIn === undefined) return;
      delay = retryIn;
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
    if (this.stopped || !(await this.writer.flush()) || this.stopped) return;
    if (this.draining && this.followed.size === 0) return this.finish();
    this.schedule(delay);
  }

  /** Waits while the consumer's flow control is paused (or until stop() aborts `signal`). */
  private async flowing(signal: AbortSignal): Promise<void> {
    const flow = this.cfg.flow;
    if (flow === undefined || !flow.paused) return;
    this.cfg.metrics.increment('flow.paused');
    this.cfg.logger.debug?.('legacy-chat: consumer is behind; polling waits', { pending: flow.pending });
    await flow.whenFlowing(signal);
  }

  /** Decides what a failed cycle means: the delay before the next one, or `undefined` when fatal. */
  private onFailure(e: unknown): number | undefined {
    const error = isChatshiftError(e)
      ? e
      : new ChatshiftError('ERR_CONNECTION', 'legacy-chat: poll failed', { cause: e });
    const status = error.details['status'];
    const retryable =
      ['ERR_CONNECTION', 'ERR_TIMEOUT', 'ERR_PAYLOAD_TOO_LARGE', 'ERR_PROTOCOL'].includes(error.code) ||
      (error.code === 'ERR_HTTP_STATUS' && typeof status === 'number' && (status >= 500 || status === 429));
    if (!retryable) {
      this.fail(error);
      return undefined;
    }
    this.failures += 1;
    if (this.failures >= this.cfg.backoff.maxAttempts) {
      this.fail(
        new ChatshiftError('ERR_RETRIES_EXHAUSTED', `legacy-chat: ${this.failures} polls failed in a row`, {
          cause: error,
          details: { attempts: this.failures },
        }),
      );
      return undefined;
    }
    let delay = backoffDelay(this.failures - 1, this.cfg.backoff);
    if (status === 429) delay = Math.max(delay, retryAfterMs(error.details['retryAfter']));
    this.cfg.metrics.increment('retries');
    this.cfg.logger.warn('legacy-chat: poll failed, retrying', {
      code: error.code,
      status,
      attempt: this.failures,
      delayMs: delay,
      message: error.message,
    });
    return delay;
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
    for (const chat of chats) {
      const f = this.followed.get(chat.key);
      if (f === undefined || !asked.has(chat.key)) continue;
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
      for (const event of mapped.events) {
        if (this.stopped) return;
        this.sink.next(event);
        this.cfg.metrics.increment('events.emitted');
      }
      const isClosed = mapped.memory.state === 'closed';
      const changed = isClosed || JSON.stringify(mapped.memory) !== JSON.stringify(f.memory);
      f.memory = mapped.memory;
      if (changed) this.writer.mark(chat.key, toCheckpoint(mapped.memory, isClosed));
      if (isClosed) {
        // The cursor is released: memory stays O(open chats).
        this.followed.delete(chat.key);
        this.closed.remember(chat.key, true);
      }
    }
  }

  private acceptIncoming(signal: AbortSignal): Promise<void> {
    return acceptRinging(this.client, this.cfg.agentSessionUrl, signal, {
      more: () => !this.stopped && !this.draining,
      accepted: (key) => {
        this.follow(key, 'incoming');
        // An accepted chat no longer rings: it must reach the checkpoint now, not with its first
        // events, or a stop before that poll would lose it for good (found by the restart runs).
        const followed = this.followed.get(key);
        if (followed !== undefined) this.writer.mark(key, toCheckpoint(followed.memory, false));
      },
      logger: this.cfg.logger,
      report: this.report,
    });
  }

  private now(): IsoTime {
    return epochMsToIso(this.cfg.scheduler.now()) ?? ('1970-01-01T00:00:00.000Z' as IsoTime);
  }
}

function retryAfterMs(v: unknown): number {
  if (typeof v !== 'string' || v.trim() === '') return 1000;
  const seconds = Number(v);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}
