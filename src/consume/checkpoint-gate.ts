import type { CheckpointStore, ConversationCheckpoint } from '../checkpoint/store.js';
import type { BackendId, ConversationEvent } from '../model/event.js';

/** A source's change for one conversation, held until the events it covers are handled. */
interface Held {
  readonly target: number;
  readonly entry: ConversationCheckpoint | null;
}

/** Per checkpoint key: events received and handled so far, and the changes still held. */
interface Cursor {
  received: number;
  handled: number;
  held: Held[];
}

/** A checkpoint key an event counts against, and the event's `seq` when it is in that key's space. */
interface KeyOf {
  readonly key: string;
  readonly seq: number | undefined;
}

/**
 * The checkpoint keys an event counts against. Sources key their entries by conversation id, and
 * the messaging source keys a non-main dialog's entry by its dialog id: an event of a dialog holds
 * back both, so neither entry runs ahead of it.
 */
export function checkpointKeysOf(e: ConversationEvent): KeyOf[] {
  const main = `${e.backend}\u0000${e.conversationId}`;
  return e.dialogId === undefined || e.dialogId === e.conversationId
    ? [{ key: main, seq: e.seq }]
    : [
        { key: main, seq: undefined },
        { key: `${e.backend}\u0000${e.dialogId}`, seq: e.seq },
      ];
}

/** What was last released for a key: the source's entry it came from, and the cursor written. */
interface Base {
  entry: ConversationCheckpoint;
  seq: number;
}

/**
 * Sits between the sources and the user's checkpoint store and saves each conversation as its
 * events are handled, per conversation — one slow conversation does not hold back the others:
 *
 * - a source's entry is written once every event of that conversation received before the source
 *   saved it has been handled;
 * - between the source's saves, each handled event with a `seq` moves the conversation's cursor to
 *   it: the last entry released, with that `seq` (and not closed). Its adapter-owned `meta` is
 *   older than the cursor, which after a restart can only make a source derive a state, typing or
 *   participant change again (same derived id), never skip one.
 *
 * So after a crash only the events in flight (received, not handled) and those handled while the
 * last write was under way come again. Sources must emit an event before they save the entry
 * covering it, and the consumer must call {@link receive} synchronously as events arrive and
 * {@link handled} in each conversation's order.
 */
export class CheckpointGate {
  private readonly cursors = new Map<string, Cursor>();
  /** Per open conversation, the last entry released (O(open conversations)). */
  private readonly bases = new Map<string, Base>();
  /** Released changes waiting for the next write, per backend. */
  private ready = new Map<BackendId, Record<string, ConversationCheckpoint | null>>();
  private writing: Promise<void> | undefined;

  /**
   * @param store Where the released changes go.
   * @param onError A write of released changes failed.
   */
  constructor(
    private readonly store: CheckpointStore,
    private readonly onError: (cause: unknown) => void,
  ) {}

  /** The store to give the sources. `save` resolves once the changes it could release are written. */
  readonly wrapped: CheckpointStore = {
    load: async (backend) => {
      const map = await this.store.load(backend);
      for (const [id, entry] of Object.entries(map))
        if (entry.closed !== true) this.bases.set(`${backend}\u0000${id}`, { entry, seq: entry.seq });
      return map;
    },
    save: (backend, changes) => {
      for (const [id, entry] of Object.entries(changes)) {
        const key = `${backend}\u0000${id}`;
        const c = this.cursors.get(key);
        if (c === undefined || (c.handled >= c.received && c.held.length === 0)) this.release(key, entry);
        else c.held.push({ target: c.received, entry });
      }
      return this.flush();
    },
  };

  /** An event reached the consumer (call before its handler starts). */
  receive(e: ConversationEvent): void {
    for (const { key } of checkpointKeysOf(e)) {
      let c = this.cursors.get(key);
      if (c === undefined) this.cursors.set(key, (c = { received: 0, handled: 0, held: [] }));
      c.received++;
    }
  }

  /** The event's handler succeeded: the cursors it moves are written. */
  handled(e: ConversationEvent): void {
    let released = false;
    for (const { key, seq } of checkpointKeysOf(e)) {
      const c = this.cursors.get(key);
      if (c === undefined) continue;
      c.handled++;
      let last: Held | undefined;
      while (c.held.length > 0 && (c.held[0] as Held).target <= c.handled) last = c.held.shift();
      if (last !== undefined) {
        this.release(key, last.entry);
        released = true;
      }
      const base = this.bases.get(key);
      if (seq !== undefined && base !== undefined && seq > base.seq) {
        const { closed: _closed, ...open } = base.entry;
        this.queue(key, { ...open, seq });
        base.seq = seq;
        released = true;
      }
      // O(conversations being handled): a settled key is forgotten.
      if (c.handled >= c.received && c.held.length === 0) this.cursors.delete(key);
    }
    if (released) void this.flush().catch(() => undefined);
  }

  /** Changes still held back (their events not all handled): what a stop now would not write. */
  get heldCount(): number {
    let n = 0;
    for (const c of this.cursors.values()) n += c.held.length;
    return n;
  }

  /** Writes every released change (after the write in flight); held ones stay held. */
  async flush(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
    if (this.ready.size === 0) return;
    const batch = this.ready;
    this.ready = new Map();
    const writing = (async () => {
      for (const [backend, changes] of batch) await this.store.save(backend, changes);
    })();
    const settled = writing.then(
      () => undefined,
      () => undefined,
    );
    this.writing = settled;
    try {
      await writing;
    } catch (cause) {
      this.onError(cause);
      throw cause;
    } finally {
      if (this.writing === settled) this.writing = undefined;
    }
  }

  /** Releases a source's entry: written next, and the base of later cursor moves. */
  private release(key: string, entry: ConversationCheckpoint | null): void {
    if (entry === null || entry.closed === true) this.bases.delete(key);
    else {
      const base = this.bases.get(key);
      // A source's entry never moves the cursor back below one already written from it.
      if (base !== undefined && base.seq > entry.seq) {
        this.bases.set(key, { entry, seq: base.seq });
        return this.queue(key, { ...entry, seq: base.seq });
      }
      this.bases.set(key, { entry, seq: entry.seq });
    }
    this.queue(key, entry);
  }

  private queue(key: string, entry: ConversationCheckpoint | null): void {
    const sep = key.indexOf('\u0000');
    const backend = key.slice(0, sep) as BackendId;
    let changes = this.ready.get(backend);
    if (changes === undefined) this.ready.set(backend, (changes = {}));
    changes[key.slice(sep + 1)] = entry;
  }
}
