// A minimal RESP2 client on a raw socket, for tests that must know when a command has left: its
// `sendCommand` writes at once (node-redis writes from a later setImmediate).
import { connect, type Socket } from 'node:net';
import type { RedisClientLike } from '../../adapters/redis/index.js';

type Reply = string | number | null | Error | Reply[];

/** Parses one reply at `i`: the reply and the index after it, or undefined when incomplete. */
function parse(buf: Buffer, i: number): [Reply, number] | undefined {
  const eol = buf.indexOf('\r\n', i);
  if (eol < 0) return undefined;
  const line = buf.toString('utf8', i + 1, eol);
  const next = eol + 2;
  switch (String.fromCharCode(buf[i]!)) {
    case '+':
      return [line, next];
    case '-':
      return [new Error(line), next];
    case ':':
      return [Number(line), next];
    case '$': {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return undefined;
      return [buf.toString('utf8', next, next + n), next + n + 2];
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return [null, next];
      const out: Reply[] = [];
      let at = next;
      for (let k = 0; k < n; k++) {
        const r = parse(buf, at);
        if (r === undefined) return undefined;
        out.push(r[0]);
        at = r[1];
      }
      return [out, at];
    }
    default:
      throw new Error(`unexpected RESP byte ${buf[i]}`);
  }
}

export class RawRedis implements RedisClientLike {
  private buf = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve(v: unknown): void; reject(e: Error): void }> = [];

  private constructor(private readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        const r = this.buf.length === 0 ? undefined : parse(this.buf, 0);
        if (r === undefined) break;
        this.buf = this.buf.subarray(r[1]);
        const w = this.waiting.shift();
        if (r[0] instanceof Error) w?.reject(r[0]);
        else w?.resolve(r[0]);
      }
    });
    socket.on('error', () => {});
  }

  static open(path: string): Promise<RawRedis> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new RawRedis(s)));
      s.once('error', reject);
    });
  }

  sendCommand(args: string[]): Promise<unknown> {
    const frame = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    const p = new Promise<unknown>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.socket.write(frame);
    return p;
  }

  close(): void {
    this.socket.destroy();
  }
}
