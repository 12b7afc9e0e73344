import type { SchedulerLike, Subscription } from 'rxjs';
import { ChatshiftError } from '../../src/errors.js';
import { formatValidationErrors } from '../../src/model/decode.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { InvalidInputReporter } from '../../src/runtime/invalid-input.js';
import {
  ConversationChangeCodec,
  ConversationChangesBodyCodec,
  EventRecordCodec,
  isEventRecord,
  isOnlineEventType,
  notificationTypes,
  type ConversationChange,
  type EventRecord,
  type ResponseFrame,
} from './wire.js';

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
  request(
    type: string,
    body: object,
    timeoutMs: number,
    metadata?: readonly object[],
  ): Promise<ResponseFrame> {
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
        this.send(
          JSON.stringify(
            metadata === undefined
              ? { kind: 'req', id, type, body }
              : { kind: 'req', id, type, body, metadata },
          ),
        );
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
      // A 429 may say how long to wait (`retryAfter`, seconds): kept for the caller's pacing.
      const after = (frame.body as { retryAfter?: unknown } | null)?.retryAfter;
      const details: Record<string, unknown> = { type: p.type, code: frame.code };
      // The server's reason, the only thing that tells some refusals apart (a closed conversation).
      if (typeof frame.body === 'string') details['reason'] = frame.body.slice(0, 200);
      if (frame.code === 429 && typeof after === 'number' && Number.isFinite(after) && after > 0)
        details['retryAfterMs'] = after * 1000;
      p.reject(new ChatshiftError('ERR_PROTOCOL', `${p.type} failed with code ${frame.code}`, { details }));
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

/**
 * Server pushes, decoded: what the source receives. It never sees a response, a `reqId` or an
 * envelope; an invalid notification has been reported and skipped before it gets here.
 */
export interface NotificationSink {
  /** One `.ams.ms.OnlineEventDistribution` record (schema-checked). */
  onlineEvent(record: EventRecord): void;
  /** The valid changes of one ExConversation change notification (possibly none). */
  conversationChanges(changes: readonly ConversationChange[]): void;
  /** A notification of a type chatshift does not use. */
  otherNotification(type: string, body: unknown): void;
}

/**
 * The frame protocol of one socket: reads each text frame's envelope, settles the pending request
 * a response answers (through the socket's {@link RequestCorrelator}) and hands decoded
 * notifications to the sink. Every invalid frame goes to the core's invalid-input reporter
 * (`items.invalid` and a warn line with `ERR_MALFORMED_JSON` / `ERR_SCHEMA_INVALID`) and is skipped.
 *
 * This is the hot path measured by `npm run bench`: hand-written checks and guards, no closure or
 * wrapper object per frame (io-ts decodes only to report what is wrong).
 */
export class FrameRouter {
  constructor(
    private readonly correlator: RequestCorrelator,
    private readonly sink: NotificationSink,
    private readonly logger: Logger,
    private readonly report: InvalidInputReporter,
  ) {}

  /** Routes one text frame. */
  text(text: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.invalid('messaging: non-JSON frame skipped', 'ERR_MALFORMED_JSON', { length: text.length });
    }
    if (frame === null || typeof frame !== 'object')
      return this.schemaInvalid(['Invalid value at the top level (expected an object)']);
    const f = frame as { kind?: unknown; type?: unknown; body?: unknown; reqId?: unknown; code?: unknown };
    if (f.kind === 'resp') {
      if (typeof f.reqId !== 'string' || typeof f.code !== 'number')
        return this.schemaInvalid(['Invalid response envelope (reqId/code)']);
      if (!this.correlator.handle(f as ResponseFrame))
        this.logger.debug?.('messaging: response to no pending request', { reqId: f.reqId });
      return;
    }
    if (f.kind !== 'notification' || typeof f.type !== 'string')
      return this.schemaInvalid(['Invalid value at kind/type (expected a response or notification)']);
    const body = f.body;
    if (isOnlineEventType(f.type)) {
      if (isEventRecord(body)) return this.sink.onlineEvent(body);
      // The guard answers as the codec does (property test): decode only to say what is wrong.
      const r = EventRecordCodec.decode(body);
      if (r._tag === 'Left') this.schemaInvalid(formatValidationErrors(r.left));
      else this.sink.onlineEvent(r.right);
    } else if (notificationTypes.conversationChange.has(f.type)) this.conversationChanges(body);
    else this.sink.otherNotification(f.type, body);
  }

  /** A binary frame: the protocol is JSON text only. */
  binary(): void {
    this.invalid('messaging: binary frame skipped', 'ERR_MALFORMED_JSON');
  }

  private conversationChanges(body: unknown): void {
    const decoded = ConversationChangesBodyCodec.decode(body);
    if (decoded._tag === 'Left') return this.schemaInvalid(formatValidationErrors(decoded.left));
    const changes = decoded.right.changes;
    // Valid changes decode to themselves: the array is handed on as is unless one is invalid.
    let valid: unknown[] | undefined;
    for (let i = 0; i < changes.length; i++) {
      const change = ConversationChangeCodec.decode(changes[i]);
      if (change._tag === 'Left') {
        this.schemaInvalid(formatValidationErrors(change.left));
        valid ??= changes.slice(0, i);
      } else valid?.push(change.right);
    }
    this.sink.conversationChanges((valid ?? changes) as ConversationChange[]);
  }

  private schemaInvalid(errors: string[]): void {
    this.report({ code: 'ERR_SCHEMA_INVALID', message: 'messaging: invalid frame skipped', errors });
  }

  private invalid(
    message: string,
    code: 'ERR_MALFORMED_JSON' | 'ERR_SCHEMA_INVALID',
    fields?: Record<string, unknown>,
  ): void {
    this.report({ code, message, ...(fields === undefined ? {} : { fields }) });
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
