import type { SchedulerLike, Subscription } from 'rxjs';
import { ChatshiftError } from '../../src/errors.js';
import type { ResponseFrame } from './wire.js';

interface Pending {
  type: string;
  resolve(frame: ResponseFrame): void;
  reject(error: ChatshiftError): void;
  timer: Subscription;
}

/**
 * Request/response correlation for one socket: `{kind:"req", id, type, body}` out, responses
 * matched **only** by `reqId`, each request failing with `ERR_TIMEOUT` after its deadline and
 * every pending one failing when the socket goes away.
 */
export class RequestCorrelator {
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;

  /**
   * @param flowEpoch  -1 while reading is paused, else a number that changes on every pause and
   *   resume: a deadline that comes while paused, or after a pause began since it was armed, is
   *   re-armed instead of failing the request (its answer could not be read).
   */
  constructor(
    private readonly send: (text: string) => void,
    private readonly scheduler: SchedulerLike,
    private readonly flowEpoch: () => number = () => 0,
    private readonly idPrefix = 'cs',
  ) {}

  /** Sends a request; resolves with the response (code < 400), rejects with a coded error. */
  request(type: string, body: object, timeoutMs: number): Promise<ResponseFrame> {
    const id = `${this.idPrefix}-${this.nextId++}`;
    return new Promise<ResponseFrame>((resolve, reject) => {
      let armedAt = this.flowEpoch();
      const expire = (): void => {
        const p = this.pending.get(id);
        if (p === undefined) return;
        const now = this.flowEpoch();
        if (now === -1 || now !== armedAt) {
          armedAt = now;
          p.timer = this.scheduler.schedule(expire, timeoutMs);
          return;
        }
        this.pending.delete(id);
        reject(
          new ChatshiftError('ERR_TIMEOUT', `${type} got no answer within ${timeoutMs} ms`, {
            details: { type },
          }),
        );
      };
      const timer = this.scheduler.schedule(expire, timeoutMs);
      this.pending.set(id, { type, resolve, reject, timer });
      try {
        this.send(JSON.stringify({ kind: 'req', id, type, body }));
      } catch (cause) {
        this.pending.delete(id);
        timer.unsubscribe();
        reject(new ChatshiftError('ERR_CONNECTION', `could not send ${type}`, { cause: sanitize(cause) }));
      }
    });
  }

  /** Settles the request a response answers; false when no request is waiting for it. */
  handle(frame: ResponseFrame): boolean {
    const p = this.pending.get(frame.reqId);
    if (p === undefined) return false;
    this.pending.delete(frame.reqId);
    p.timer.unsubscribe();
    if (frame.code >= 400) {
      p.reject(
        new ChatshiftError('ERR_PROTOCOL', `${p.type} failed with code ${frame.code}`, {
          details: { type: p.type, code: frame.code },
        }),
      );
    } else p.resolve(frame);
    return true;
  }

  /** Fails every pending request (the socket closed). */
  failAll(error: ChatshiftError): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) {
      p.timer.unsubscribe();
      p.reject(error);
    }
  }

  get size(): number {
    return this.pending.size;
  }
}

/** A plain copy of an error without anything that could carry a URL (ws errors do not, but be safe). */
export function sanitize(e: unknown): Error {
  if (e instanceof Error) {
    const copy = new Error(e.message.replace(/wss?:\/\/\S+/g, '[url]'));
    copy.name = e.name;
    const code = (e as { code?: unknown }).code;
    if (code !== undefined) (copy as Error & { code?: unknown }).code = code;
    return copy;
  }
  return new Error(String(e).replace(/wss?:\/\/\S+/g, '[url]'));
}
