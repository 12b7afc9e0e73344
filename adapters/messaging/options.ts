import type { SchedulerLike } from 'rxjs';
import { ChatshiftError } from '../../src/errors.js';
import type { BackoffOptions } from '../../src/runtime/backoff.js';
import type { BearerSource } from '../../src/runtime/bearer.js';
import type { FlowControl } from '../../src/runtime/flow.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import type { CheckpointStore } from '../../src/checkpoint/store.js';
import type { WebSocketConstructor } from './connection.js';

/** Options of `messaging()` (and `messagingSource()`). `accountId`, `domain` and `bearer` are required. */
export interface MessagingOptions {
  /** LivePerson account id (site id). Required. */
  accountId: string;
  /** The `asyncMessagingEnt` host, `host[:port]`, no scheme. Required. */
  domain: string;
  /** Bearer token, or a function returning the current one; called again after close 4401/4407/1011 or a handshake 401. */
  bearer: BearerSource;
  /** Old-style agent id `"{accountId}.{userId}"` for the `agentIds` subscription filter. Default: none (whole account). */
  agentId?: string;
  /** Conversation states to subscribe to. Default `['OPEN']`. */
  convState?: ReadonlyArray<'OPEN' | 'CLOSE'>;
  /** `.GetClock` keep-alive cadence in ms. Default 30000. */
  heartbeatIntervalMs?: number;
  /** No keep-alive answer (and no other frame) by then = dead socket, replaced; also the handshake timeout. Default 10000. */
  heartbeatTimeoutMs?: number;
  /** Deadline of other requests (subscribe, QueryMessages) in ms. Default 10000. */
  requestTimeoutMs?: number;
  /** Frames above this many bytes are a connection error (ws `maxPayload`): the socket is replaced. Default 16 MiB. */
  maxFrameBytes?: number;
  /** Checkpoint store: loaded on subscribe, changed entries saved at most every 250 ms and on unsubscribe. */
  checkpoint?: CheckpointStore;
  /** A `ws`-compatible WebSocket constructor. Default: the `ws` package's. */
  WebSocket?: WebSocketConstructor;
  /** RxJS scheduler for every timer (heartbeat, timeouts, backoff, checkpoint saves). Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** Console-compatible logger; everything passes through bearer redaction. Default: silent. */
  logger?: Logger;
  /** Reconnect timing: exponential, jittered, capped. Defaults as `resolveBackoff` (5 s, ×2, 2 min cap). */
  backoff?: BackoffOptions;
  /** Allow `ws://` to a non-loopback host. Default false (`ws://` only for loopback, else `wss://`). */
  allowInsecureTransport?: boolean;
  /** Counter sink: `ws.frames.in`, `ws.frames.out`, `ws.connects`, `reconnects`, `events.emitted`, `events.duplicates`, `items.invalid`, `gaps`, `held.dropped`, `flow.paused`. */
  metrics?: Metrics;
  /**
   * Backpressure from an asynchronous consumer (see `flowControl`): while it is paused the socket
   * is not read (keep-alive and request deadlines are suspended), so the backlog waits in the
   * kernel and on the server. Default: none.
   */
  flow?: FlowControl;
}

/** The v1 name of {@link MessagingOptions}. */
export type MessagingSourceOptions = MessagingOptions;

const invalid = (message: string): ChatshiftError =>
  new ChatshiftError('ERR_INVALID_OPTIONS', `messaging: ${message}`);

function positive(name: string, v: unknown): void {
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v <= 0))
    throw invalid(`${name} must be a positive number`);
}

/** Throws `ERR_INVALID_OPTIONS` synchronously for anything the source cannot run with. */
export function validateOptions(o: MessagingOptions): void {
  if (o === null || typeof o !== 'object') throw invalid('options are required');
  if (typeof o.accountId !== 'string' || o.accountId.length === 0) throw invalid('accountId is required');
  if (typeof o.domain !== 'string' || o.domain.length === 0 || /[/\s?#@]/.test(o.domain))
    throw invalid('domain must be host[:port] without scheme or path');
  if (!((typeof o.bearer === 'string' && o.bearer.length > 0) || typeof o.bearer === 'function'))
    throw invalid('bearer must be a non-empty string or a function');
  if (o.agentId !== undefined && (typeof o.agentId !== 'string' || o.agentId.length === 0))
    throw invalid('agentId must be a non-empty string');
  if (
    o.convState !== undefined &&
    (!Array.isArray(o.convState) ||
      o.convState.length === 0 ||
      o.convState.some((s) => s !== 'OPEN' && s !== 'CLOSE'))
  )
    throw invalid("convState must be a non-empty array of 'OPEN' | 'CLOSE'");
  positive('heartbeatIntervalMs', o.heartbeatIntervalMs);
  positive('heartbeatTimeoutMs', o.heartbeatTimeoutMs);
  positive('requestTimeoutMs', o.requestTimeoutMs);
  positive('maxFrameBytes', o.maxFrameBytes);
  if (o.backoff !== undefined) {
    if (typeof o.backoff !== 'object' || o.backoff === null) throw invalid('backoff must be an object');
    for (const k of ['initialMs', 'maxMs', 'factor', 'maxAttempts'] as const)
      positive(`backoff.${k}`, o.backoff[k]);
    const j = o.backoff.jitter;
    if (j !== undefined && (typeof j !== 'number' || !(j >= 0 && j <= 1)))
      throw invalid('backoff.jitter must be in 0..1');
  }
  if (o.WebSocket !== undefined && typeof o.WebSocket !== 'function')
    throw invalid('WebSocket must be a constructor');
  if (
    o.checkpoint !== undefined &&
    (typeof o.checkpoint.load !== 'function' || typeof o.checkpoint.save !== 'function')
  )
    throw invalid('checkpoint must have load and save');
  if (o.logger !== undefined && (typeof o.logger.warn !== 'function' || typeof o.logger.error !== 'function'))
    throw invalid('logger must have warn and error');
  if (o.flow !== undefined && (typeof o.flow !== 'object' || o.flow === null || !('paused$' in o.flow)))
    throw invalid('flow must come from flowControl()');
}
