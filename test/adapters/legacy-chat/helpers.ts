import type { Observable, Subscription } from 'rxjs';
import type { ConversationEvent } from '../../../src/model/event.js';
import type { Logger } from '../../../src/runtime/logger.js';
import type { CheckpointStore, ConversationCheckpoint } from '../../../src/checkpoint/store.js';

/** Subscribes and records everything the source does. */
export function collect(source: Observable<ConversationEvent>) {
  const out = {
    events: [] as ConversationEvent[],
    error: undefined as unknown,
    completed: false,
    sub: undefined as unknown as Subscription,
  };
  out.sub = source.subscribe({
    next: (e) => out.events.push(e),
    error: (e: unknown) => (out.error = e),
    complete: () => (out.completed = true),
  });
  return out;
}

/** Waits until `cond` holds, checking every few ms; fails after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A logger that records every line, for assertions (and redaction checks). */
export function recordingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(fields === undefined ? { level, message } : { level, message, fields });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines, text: () => JSON.stringify(lines) };
}

/** A trivial Map-based checkpoint store that records every save. */
export function mapStore(initial: Record<string, ConversationCheckpoint> = {}) {
  const data = new Map<string, ConversationCheckpoint>(Object.entries(initial));
  const saves: Record<string, ConversationCheckpoint | null>[] = [];
  let failNext = false;
  const store: CheckpointStore = {
    load: () => Promise.resolve(Object.fromEntries(data)),
    save: (_backend, changes) => {
      if (failNext) return Promise.reject(new Error('disk full'));
      saves.push(changes);
      for (const [k, v] of Object.entries(changes)) {
        if (v === null) data.delete(k);
        else data.set(k, v);
      }
      return Promise.resolve();
    },
  };
  return { store, data, saves, failSaves: () => (failNext = true) };
}

/** Fast options for tests: small poll interval and backoff. */
export const fast = { pollIntervalMs: 20, backoff: { initialMs: 5, maxMs: 40 } } as const;

/** Events of one conversation, by seq (sequenced events only). */
export const seqsOf = (events: ConversationEvent[], key: string): number[] =>
  events.filter((e) => e.conversationId === key && e.seq !== undefined).map((e) => e.seq as number);
