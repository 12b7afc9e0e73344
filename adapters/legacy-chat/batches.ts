/** A followed chat as the request builder sees it: its key and cursor (-1 = nothing seen yet). */
export interface CursorEntry {
  key: string;
  cursor: number;
}

export interface BatchLimits {
  maxChatsPerRequest: number;
  /** Upper bound on `GET <path>?<query> HTTP/1.1`, in bytes. */
  maxRequestLineBytes: number;
}

/** One multi-chat request: its URL and the keys it asks for (in the order sent). */
export interface Batch {
  url: string;
  keys: string[];
}

/**
 * Splits the followed chats into as few multi-chat requests as the limits allow. Chats with a
 * cursor send it positionally in `fromEventIds`; chats without one go in separate requests with no
 * `fromEventIds` at all, because a positional `0` would be ambiguous (protocol page §6.4).
 * A single key longer than the line limit still gets its own request: it cannot be split further.
 */
export function buildBatches(
  agentSessionUrl: string,
  chats: readonly CursorEntry[],
  limits: BatchLimits,
): Batch[] {
  const base = new URL(agentSessionUrl);
  const path = `${base.pathname.replace(/\/+$/, '')}/chat`;
  const origin = `${base.protocol}//${base.host}`;
  const known = chats.filter((c) => c.cursor >= 0);
  const fresh = chats.filter((c) => c.cursor < 0);
  return [...split(known, true), ...split(fresh, false)];

  function split(list: readonly CursorEntry[], withCursors: boolean): Batch[] {
    const out: Batch[] = [];
    let keys: string[] = [];
    let cursors: string[] = [];
    const query = (k: string[], c: string[]) =>
      `chatSessionKeys=${k.join(',')}${withCursors ? `&fromEventIds=${c.join(',')}` : ''}&v=1&NC=true`;
    const lineBytes = (k: string[], c: string[]) => Buffer.byteLength(`GET ${path}?${query(k, c)} HTTP/1.1`);
    const flush = () => {
      if (keys.length === 0) return;
      out.push({ url: `${origin}${path}?${query(keys, cursors)}`, keys: keys.map(decodeURIComponent) });
      keys = [];
      cursors = [];
    };
    for (const c of list) {
      const k = encodeURIComponent(c.key);
      const cur = String(c.cursor);
      if (
        keys.length > 0 &&
        (keys.length >= limits.maxChatsPerRequest ||
          lineBytes([...keys, k], [...cursors, cur]) > limits.maxRequestLineBytes)
      ) {
        flush();
      }
      keys.push(k);
      cursors.push(cur);
    }
    flush();
    return out;
  }
}
