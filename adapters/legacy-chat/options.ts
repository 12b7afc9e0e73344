import { asyncScheduler, isObservable, type Observable, type SchedulerLike } from 'rxjs';
import type { Dispatcher } from 'undici';
import { ChatshiftError } from '../../src/errors.js';
import { resolveBackoff, type BackoffOptions } from '../../src/runtime/backoff.js';
import type { BearerSource } from '../../src/runtime/bearer.js';
import type { FlowControl } from '../../src/runtime/flow.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import { assertSecureTransport } from '../../src/runtime/transport-security.js';
import type { CheckpointStore } from '../../src/checkpoint/store.js';
import type { PollerConfig } from './poller.js';

/** Options of `legacyChat()` (and `legacyChatSource()`). Only `agentSessionUrl` and `bearer` are required. */
export interface LegacyChatOptions {
  /** The agent-session URL, `https://{agentVep}/api/account/{accountId}/agentSession/{agentSessionId}`. */
  agentSessionUrl: string;
  /** The bearer token, or a function returning it; called again after a 401 (one retry per request). */
  bearer: BearerSource;
  /**
   * Chat session keys to follow: a fixed array, or an Observable of the current set. An added key is
   * followed from its checkpoint or from its first event; a removed key is no longer polled.
   * Default: none (only checkpointed and, with `acceptIncoming`, accepted chats).
   */
  chats?: readonly string[] | Observable<readonly string[]>;
  /** Poll `{agent-session}/incomingRequests`, accept ringing chats and follow them. Default false. */
  acceptIncoming?: boolean;
  /** Delay between the end of one poll cycle and the start of the next, in ms. Default 2000 (LivePerson asks for >= 2 s). */
  pollIntervalMs?: number;
  /** Most chat keys in one multi-chat request. Default 50. */
  maxChatsPerRequest?: number;
  /** Longest request line (`GET <path>?<query> HTTP/1.1`) in bytes before a request is split. Default 8192. */
  maxRequestLineBytes?: number;
  /** Largest response body read, in bytes; a bigger one fails the poll (ERR_PAYLOAD_TOO_LARGE, retried). Default 10 MB. */
  maxResponseBytes?: number;
  /** A request that has not answered (headers, or body progress) in this many ms fails with ERR_TIMEOUT and is retried. Default 30000. */
  requestTimeoutMs?: number;
  /**
   * Where cursors and derived-event state survive restarts (backend `'legacy-chat'`). Loaded on
   * subscribe: chats not `closed` in it are followed again from their saved `seq`. Changes are saved
   * once per poll cycle, after the events were delivered; a failed save ends the stream with
   * ERR_CHECKPOINT_IO. Default: none (in-memory cursors only).
   */
  checkpoint?: CheckpointStore;
  /** undici dispatcher for every request. Default: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** RxJS scheduler for every timer (poll interval, backoff). Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** Console-compatible logger; wrapped so the bearer never reaches it. Default: silent. */
  logger?: Logger;
  /** Counters `http.requests`, `retries`, `events.emitted`, `events.duplicates`, `items.invalid`, `gaps`, `flow.paused`. Default: none. */
  metrics?: Metrics;
  /** Retry timing for 5xx, 429, resets, timeouts and oversize bodies. Defaults: 5 s doubling to 2 min, jitter 0.2, never give up. */
  backoff?: BackoffOptions;
  /** Allow plain `http:` to a non-loopback host. Default false. */
  allowInsecureTransport?: boolean;
  /**
   * Backpressure from an asynchronous consumer (see `flowControl`): while it is paused, no new
   * request starts — polling, and accepting incoming chats, wait until the consumer catches up.
   * Default: none (a consumer that handles events synchronously slows polling down by itself).
   */
  flow?: FlowControl;
}

/** The v1 name of {@link LegacyChatOptions}. */
export type LegacyChatSourceOptions = LegacyChatOptions;

/** Validated options; the shared services stay unset where not given, so a composer's defaults apply. */
export type Validated = Omit<PollerConfig, 'logger' | 'metrics'> & { logger?: Logger; metrics?: Metrics };

/** Checks every option, throwing `ERR_INVALID_OPTIONS` / `ERR_INSECURE_TRANSPORT` synchronously. */
export function validateOptions(o: LegacyChatOptions): Validated {
  const bad = (message: string): never => {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', `legacyChat: ${message}`);
  };
  if (typeof o !== 'object' || o === null) bad('options must be an object');
  if (typeof o.agentSessionUrl !== 'string') bad('agentSessionUrl must be a URL string');
  let url: URL;
  try {
    url = new URL(o.agentSessionUrl);
  } catch {
    return bad('agentSessionUrl is not a valid URL');
  }
  assertSecureTransport(url, o.allowInsecureTransport, 'agentSessionUrl');
  if (!((typeof o.bearer === 'string' && o.bearer.length > 0) || typeof o.bearer === 'function')) {
    bad('bearer must be a non-empty string or a function');
  }
  const positive = (name: string, v: number | undefined, dflt: number, integer = false): number => {
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
      bad(`${name} must be a positive ${integer ? 'integer' : 'number'}`);
    }
    return v;
  };
  if (o.chats !== undefined && !isObservable(o.chats)) {
    if (!Array.isArray(o.chats) || !o.chats.every((k) => typeof k === 'string' && k.length > 0)) {
      bad('chats must be an array of non-empty strings or an Observable');
    }
  }
  if (o.flow !== undefined && (typeof o.flow !== 'object' || o.flow === null || !('whenFlowing' in o.flow)))
    bad('flow must come from flowControl()');
  const b = o.backoff;
  if (b !== undefined) {
    for (const k of ['initialMs', 'maxMs', 'factor', 'maxAttempts'] as const) {
      const v = b[k];
      if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v) || v <= 0))
        bad(`backoff.${k} must be positive`);
    }
  }
  return {
    agentSessionUrl: url.toString().replace(/\/+$/, ''),
    bearer: o.bearer,
    acceptIncoming: o.acceptIncoming === true,
    pollIntervalMs: positive('pollIntervalMs', o.pollIntervalMs, 2000),
    limits: {
      maxChatsPerRequest: positive('maxChatsPerRequest', o.maxChatsPerRequest, 50, true),
      maxRequestLineBytes: positive('maxRequestLineBytes', o.maxRequestLineBytes, 8192, true),
    },
    backoff: resolveBackoff(b),
    maxResponseBytes: positive('maxResponseBytes', o.maxResponseBytes, 10 * 1024 * 1024, true),
    requestTimeoutMs: positive('requestTimeoutMs', o.requestTimeoutMs, 30_000),
    dispatcher: o.dispatcher,
    scheduler: o.scheduler ?? asyncScheduler,
    ...(o.metrics === undefined ? {} : { metrics: o.metrics }),
    ...(o.logger === undefined ? {} : { logger: o.logger }),
    checkpoint: o.checkpoint,
    flow: o.flow,
  };
}
