import type { SchedulerLike, Subscription } from 'rxjs';
import { ChatshiftError } from '../errors.js';
import type { BackendId } from '../model/event.js';
import type { Logger } from '../runtime/logger.js';
import type { CheckpointStore, ConversationCheckpoint } from './store.js';

/**
 * The error a source fails with when its checkpoint cannot be loaded — the same on every backend:
 * a coded store error (`ERR_CHECKPOINT_CORRUPT`, `ERR_CHECKPOINT_LOCKED`, …) keeps its code,
 * anything else is `ERR_CHECKPOINT_IO`.
 */
export function checkpointLoadError(backend: BackendId, cause: unknown): ChatshiftError {
  if (cause instanceof ChatshiftError && cause.code.startsWith('ERR_CHECKPOINT_')) return cause;
  return new ChatshiftError('ERR_CHECKPOINT_IO', `${backend}: checkpoint load failed`, { cause });
}

/** Options of {@link CheckpointWriter}. */
export interface CheckpointWriterOptions {
  backend: BackendId;
  /** Where to save; without one, marks are dropped and every flush succeeds at once. */
  store: CheckpointStore | undefined;
  scheduler: SchedulerLike;
  /**
   * Save on its own after a change: the first change at once, later ones at most every
   * `throttleMs` (so a crash soon after start loses little). Unset: only {@link CheckpointWriter.flush} saves.
   */
  throttleMs?: number;
  /** The current entry of a conversation marked without one, read at save time (keeps marking cheap). */
  entryOf?: (id: string) => ConversationCheckpoint | undefined;
  /** A save failed while running: the owner ends its stream with this `ERR_CHECKPOINT_IO`. */
  onError: (error: ChatshiftError) => void;
  logger: Logger;
}

/**
 * The one checkpoint writer both adapters use: marks the conversations that changed, saves only
 * those (one save at a time, never overlapping), and on {@link close} waits for the save in flight
 * and writes the last changes — an awaitable flush for graceful stops and handoffs.
 */
export class CheckpointWriter {
  private readonly dirty = new Map<string, ConversationCheckpoint | null | undefined>();
  private saving: Promise<boolean> | undefined;
  private timer: Subscription | undefined;
  private lastSaveAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  private taken = 0;

  constructor(private readonly o: CheckpointWriterOptions) {}

  /**
   * How many times the marked changes were taken for a save. A conversation marked (without an
   * entry) since the last take is still marked, and its entry is read when saved: a per-event
   * caller can skip marking it again until this number moves (one comparison instead of a map
   * write per event).
   */
  get generation(): number {
    return this.taken;
  }

  /** Conversations changed since the last save. */
  get pending(): number {
    return this.dirty.size;
  }

  /**
   * Records that `id` changed: with `entry` (a `null` deletes it), or without, to be read through
   * `entryOf` when saved. With `throttleMs`, schedules a save.
   */
  mark(id: string, entry?: ConversationCheckpoint | null): void {
    if (this.o.store === undefined) return;
    this.dirty.set(id, entry);
    // A late change (an accept the server answered after the stop) is still worth keeping.
    if (this.closed) return void this.flush();
    const throttle = this.o.throttleMs;
    if (throttle === undefined || this.timer !== undefined || this.saving !== undefined) return;
    const wait = Math.max(0, throttle - (this.o.scheduler.now() - this.lastSaveAt));
    this.timer = this.o.scheduler.schedule(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  /**
   * Saves every change marked so far (after the save in flight, if any). Resolves `true` once
   * written, `false` when the save failed — reported through `onError` unless closed.
   */
  async flush(): Promise<boolean> {
    while (this.saving !== undefined) if (!(await this.saving)) return false;
    this.timer?.unsubscribe();
    this.timer = undefined;
    if (this.dirty.size === 0 || this.o.store === undefined) return true;
    const saving = this.write(this.o.store);
    this.saving = saving;
    const ok = await saving;
    this.saving = undefined;
    if (ok && this.dirty.size > 0 && !this.closed && this.o.throttleMs !== undefined) {
      const throttle = this.o.throttleMs;
      this.timer = this.o.scheduler.schedule(() => {
        this.timer = undefined;
        void this.flush();
      }, throttle);
    }
    return ok;
  }

  /**
   * Stops saving on its own and writes what is left; resolves once written (or logged as failed:
   * a stream that already ended has no one to tell). A mark after this is saved at once.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timer?.unsubscribe();
    this.timer = undefined;
    await this.flush();
  }

  private async write(store: CheckpointStore): Promise<boolean> {
    const changes: Record<string, ConversationCheckpoint | null> = {};
    for (const [id, entry] of this.dirty)
      changes[id] = entry === undefined ? (this.o.entryOf?.(id) ?? null) : entry;
    this.dirty.clear();
    this.taken++;
    this.lastSaveAt = this.o.scheduler.now();
    try {
      await store.save(this.o.backend, changes);
      return true;
    } catch (cause) {
      const error = new ChatshiftError('ERR_CHECKPOINT_IO', `${this.o.backend}: checkpoint save failed`, {
        cause,
      });
      if (this.closed)
        this.o.logger.error(`${this.o.backend}: final checkpoint save failed`, { code: error.code });
      else this.o.onError(error);
      return false;
    }
  }
}
