// Pre-framed bursts for the benchmarks: the Messaging simulator's burst() takes an `encodeBatch`
// hook, and this one turns each batch into ready WebSocket bytes up front, so the sender costs next
// to nothing per message (a `ws.send` per message tops out near 185k msg/s) and the figure measures
// the client alone.

/** One unmasked, final WebSocket text frame (RFC 6455 §5.2), as a server sends it. */
export function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x81;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}

/** `encodeBatch` for `MessagingSimulator.burst`: the batch as one buffer of text frames, one socket write. */
export const preframed = (texts: readonly string[]): Uint8Array => Buffer.concat(texts.map(textFrame));
