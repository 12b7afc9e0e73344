// Load for the Messaging simulator: many live messages, pre-built, sent a batch per event-loop turn.
import type { SimConversation, SimModel } from './simulator-model.js';
import type { Socket } from 'node:net';
import type { SimSockets } from './simulator-sockets.js';

/** Options of `MessagingSimulator.burst`. */
export interface MessagingBurstOptions {
  conversationIds: string[];
  perConversation: number;
  /** Frames per event-loop turn. Default 500. */
  batchSize?: number;
  /** Runs after each batch with the number of frames sent so far (e.g. to drop the socket mid-burst). */
  onBatch?: (sent: number) => void;
  /** Runs just before the first batch is sent. */
  onStart?: () => void;
  /**
   * Awaited once the burst is built (and encoded) and before `onStart` and the first batch: a
   * benchmark warms its client up here, after the allocations of building the burst, so that no
   * major collection falls between the warm-up and the measured window.
   */
  beforeSend?: () => Promise<void>;
  /**
   * Low-level hook for benchmarks: encodes each batch of notification texts, up front, into the
   * raw bytes written as they are to every open socket (so they must be complete WebSocket
   * frames). Fault switches and the frame log do not apply to them.
   */
  encodeBatch?: (texts: readonly string[]) => Uint8Array;
}

type StoredRecord = SimConversation['records'][number];

export async function burst(model: SimModel, sockets: SimSockets, o: MessagingBurstOptions): Promise<void> {
  const convs = o.conversationIds.map((id) => model.get(id));
  const items: Array<{ conv: SimConversation; record: StoredRecord; text: string }> = [];
  for (let i = 0; i < o.perConversation; i++) {
    for (const conv of convs) {
      const from = { id: conv.participants.CONSUMER[0] ?? 'cons-1', role: 'CONSUMER' as const };
      const event = { type: 'ContentEvent', contentType: 'text/plain', message: `m${i}` };
      const r = model.record(conv, from, event, true) as StoredRecord;
      // Built now, stored when sent: history never runs ahead of the socket.
      conv.records.pop();
      items.push({
        conv,
        record: r,
        text: JSON.stringify({ kind: 'notification', type: '.ams.ms.OnlineEventDistribution', body: r }),
      });
    }
  }
  const batch = o.batchSize ?? 500;
  if (o.encodeBatch !== undefined) return encodedBurst(items, batch, o.encodeBatch, sockets, o);
  await o.beforeSend?.();
  o.onStart?.();
  for (let i = 0; i < items.length; i += batch) {
    for (const it of items.slice(i, i + batch)) {
      it.conv.records.push(it.record);
      for (const c of sockets.clients) sockets.sendRaw(c, it.text);
    }
    o.onBatch?.(Math.min(items.length, i + batch));
    await new Promise<void>((r) => setImmediate(r));
  }
}

/**
 * The pre-framed burst: each open socket gets the batches in its own loop, and waits for its own
 * socket to drain, as a server's writes wait for TCP per client: a client slower than the writer
 * otherwise has tens of MB queued in this process, and how much varies run to run (the bench's
 * rounds spread by 40 % for that alone). A client that stops reading (flow control) holds back
 * only its own loop, never the others'. A batch is stored in history when the first socket is
 * sent it: history never runs ahead of every socket.
 */
async function encodedBurst(
  items: ReadonlyArray<{ conv: SimConversation; record: StoredRecord; text: string }>,
  batch: number,
  encode: (texts: readonly string[]) => Uint8Array,
  sockets: SimSockets,
  o: MessagingBurstOptions,
): Promise<void> {
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < items.length; i += batch)
    encoded.push(encode(items.slice(i, i + batch).map((it) => it.text)));
  let stored = 0;
  const store = (k: number): void => {
    for (; stored <= k; stored++) {
      const end = Math.min(items.length, (stored + 1) * batch);
      for (let i = stored * batch; i < end; i++) {
        const it = items[i]!;
        it.conv.records.push(it.record);
      }
      o.onBatch?.(end);
    }
  };
  await o.beforeSend?.();
  const clients = [...sockets.clients];
  o.onStart?.();
  const open = (c: (typeof clients)[number]): boolean => c.ws.readyState === c.ws.OPEN;
  await Promise.all(
    clients.map(async (c) => {
      for (let k = 0; k < encoded.length; k++) {
        store(k);
        if (!open(c)) continue;
        if (!c.socket.write(encoded[k]!)) await drained(c.socket);
        else await new Promise<void>((r) => setImmediate(r));
      }
    }),
  );
  // No open socket at all: history still gets the whole burst.
  if (encoded.length > 0) store(encoded.length - 1);
}

/** Resolves when `socket` drains, or closes (a dropped client must not stall the burst). */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}
