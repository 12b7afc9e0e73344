import { asyncScheduler, isObservable, type Observable, type SchedulerLike } from 'rxjs';
import type { Dispatcher } from 'undici';
import type { BackoffOptions } from '../../src/runtime/backoff.js';
import { OptionsChecker, resolveSharedOptions } from '../../src/runtime/options.js';
import type { BearerSource } from '../../src/runtime/bearer.js';
import type { FlowControl } from '../../src/runtime/flow.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import { assertSecureTransport } from '../../src/runtime/transport-security.js';
import { isSession, sessionBearer, type Session } from '../../src/runtime/session.js';
import type { CheckpointStore } from '../../src/checkpoint/store.js';
import type { PollerConfig } from './poller.js';

/**
 * Options of `legacyChat()` (and `legacyChatSource()`). Required: `session`, or
 * `agentSessionUrl` and `bearer` (v1).
 */
export interface LegacyChatOptions {
  /**
   * The agent login (`loginSession()` from `chatshift/login`, or anything with the `Session`
   * shape): the bearer and the `agentVep` host come from it, a 401 is reported to it (one re-login
   * for every backend sharing it). Without `agentSessionUrl` the backend creates its agent session
   * and, when that expires, a new one, following its chats on through `chatSessions` (chats that
   * cannot be are counted as `chats.lost` and logged at error level). Not with `bearer`.
   */
  session?: Session;
  /**
   * The agent-session URL, `https://{agentVep}/api/account/{accountId}/agentSession/{agentSessionId}`.
   * Required without `session`; with one, default: created (and re-created) by the backend.
   */
  agentSessionUrl?: string;
  /** The bearer token, or a function returning it; called again after a 401 (one retry per request). Required without `session`. */
  bearer?: BearerSource;
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
  /**
   * Polls in a row a followed chat may be missing from the answers before it is dropped (logged
   * and counted as `chats.dropped`): a chat that left the agent session is not coming back. Default 5.
   */
  maxAbsentPolls?: number;
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
export function validateOptions(options: LegacyChatOptions): Validated {
  const check = new OptionsChecker('legacyChat');
  const o = check.object(options);
  const session = o['session'];
  if (session !== undefined && !isSession(session))
    check.fail('session', 'a Session (accountId, bearer(), domain(), agentId(), refused(), close())');
  if (session !== undefined && o['bearer'] !== undefined)
    check.fail('bearer', 'left out when a session is given');
  const shared = resolveSharedOptions(
    check,
    session === undefined ? o : { ...o, bearer: sessionBearer(session as Session) },
  );
  const raw = o['agentSessionUrl'];
  let url: URL | undefined;
  if (raw !== undefined || session === undefined) {
    if (typeof raw !== 'string') return check.fail('agentSessionUrl', 'a URL string');
    try {
      url = new URL(raw);
    } catch {
      return check.fail('agentSessionUrl', 'a valid URL');
    }
    assertSecureTransport(url, shared.allowInsecureTransport, 'agentSessionUrl');
  }
  const chats = o['chats'];
  if (
    chats !== undefined &&
    !isObservable(chats) &&
    !(Array.isArray(chats) && chats.every((k) => typeof k === 'string' && k.length > 0))
  )
    check.fail('chats', 'an array of non-empty strings or an Observable of one');
  const dispatcher = check.withMethods<Dispatcher>(
    'dispatcher',
    o['dispatcher'],
    ['dispatch'],
    'an undici Dispatcher',
  );
  return {
    agentSession:
      url !== undefined
        ? { kind: 'fixed', url: url.toString().replace(/\/+$/, '') }
        : {
            kind: 'session',
            session: session as Session,
            allowInsecureTransport: shared.allowInsecureTransport,
          },
    bearer: shared.bearer,
    acceptIncoming: check.boolean('acceptIncoming', o['acceptIncoming']),
    pollIntervalMs: check.positive('pollIntervalMs', o['pollIntervalMs'], 2000, { ms: true }),
    limits: {
      maxChatsPerRequest: check.positive('maxChatsPerRequest', o['maxChatsPerRequest'], 50, {
        integer: true,
      }),
      maxRequestLineBytes: check.positive('maxRequestLineBytes', o['maxRequestLineBytes'], 8192, {
        integer: true,
      }),
    },
    backoff: shared.backoff,
    maxResponseBytes: check.positive('maxResponseBytes', o['maxResponseBytes'], 10 * 1024 * 1024, {
      integer: true,
    }),
    maxAbsentPolls: check.positive('maxAbsentPolls', o['maxAbsentPolls'], 5, { integer: true }),
    requestTimeoutMs: check.positive('requestTimeoutMs', o['requestTimeoutMs'], 30_000, { ms: true }),
    dispatcher,
    scheduler: shared.scheduler ?? asyncScheduler,
    ...(shared.metrics === undefined ? {} : { metrics: shared.metrics }),
    ...(shared.logger === undefined ? {} : { logger: shared.logger }),
    checkpoint: shared.checkpoint,
    flow: shared.flow,
  };
}
