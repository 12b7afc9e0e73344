import type { SchedulerLike } from 'rxjs';
import {
  OptionsChecker,
  resolveSharedOptions,
  type ResolvedSharedOptions,
} from '../../src/runtime/options.js';
import type { BackoffOptions } from '../../src/runtime/backoff.js';
import type { BearerSource } from '../../src/runtime/bearer.js';
import type { FlowControl } from '../../src/runtime/flow.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import type { CheckpointStore } from '../../src/checkpoint/store.js';
import { isSession, sessionBearer, type Session } from '../../src/runtime/session.js';
import type { WebSocketConstructor } from './websocket.js';

/**
 * Options of `messaging()` (and `messagingSource()`). Required: `session`, or `accountId`,
 * `domain` and `bearer` (v1).
 */
export interface MessagingOptions {
  /**
   * The agent login (`loginSession()` from `chatshift/login`, or anything with the `Session`
   * shape): account id, bearer, messaging host (`facadeMsg`, else `asyncMessagingEnt`) and agent
   * id come from it; a refused token is reported to it (one re-login for every backend sharing
   * it). Not with `bearer`.
   */
  session?: Session;
  /** LivePerson account id (site id). Required without `session`; with one, it must match. */
  accountId?: string;
  /** The `asyncMessagingEnt`/`facadeMsg` host, `host[:port]`, no scheme. Required without `session`; with one, default: discovered. */
  domain?: string;
  /** Bearer token, or a function returning the current one; called again after close 4401/4407/1011 or a handshake 401. Required without `session`. */
  bearer?: BearerSource;
  /**
   * Old-style agent id `"{accountId}.{userId}"` for the `agentIds` subscription filter. Default:
   * the session's agent with a `session`; none (whole account) without.
   */
  agentId?: string;
  /**
   * Fill `participant.name` / `from.name` of agents and managers from their profile
   * (`.ams.userprofile.GetUserProfile`, asked once per agent id over the socket and cached). A
   * name is used only once known: an event is never held for it, so the first event of an agent
   * may come without one. Default true.
   */
  agentNames?: boolean;
  /** Conversation states to subscribe to. Default `['OPEN']`. */
  convState?: ReadonlyArray<'OPEN' | 'CLOSE'>;
  /** `.GetClock` keep-alive cadence in ms. Default 30000. */
  heartbeatIntervalMs?: number;
  /** No keep-alive answer (and no other frame) by then = dead socket, replaced; also the handshake timeout. Default 10000. */
  heartbeatTimeoutMs?: number;
  /** Deadline of other requests (subscribe, QueryMessages) in ms. Default 10000. */
  requestTimeoutMs?: number;
  /**
   * Global budget of history queries (`QueryMessages`): at most this many start in any 1 s window,
   * on every socket together; a 429 on any request also holds them for ≥ 1 s. Default 20.
   */
  historyQueriesPerSecond?: number;
  /**
   * Observer mode (M2): every this many ms, ask the history of every followed conversation from its
   * cursor again (through the {@link historyQueriesPerSecond} budget). Live messages reach only
   * conversations the agent takes part in; an account-wide subscription (no `agentId`) sees
   * conversation changes but not their messages, and gets them this way. Default: off.
   */
  historyPollMs?: number;
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
  /** Counter sink: `ws.frames.in`, `ws.frames.out`, `ws.connects`, `reconnects`, `events.emitted`, `events.duplicates`, `items.invalid`, `gaps`, `held.dropped`, `flow.paused`, `profiles.lookups`, `profiles.failed`. */
  metrics?: Metrics;
  /**
   * Backpressure from an asynchronous consumer (see `flowControl`): while it is paused the socket
   * is not read (keep-alive and request deadlines are suspended), so the backlog waits in the
   * kernel and on the server. Default: none.
   */
  flow?: FlowControl;
  /**
   * Actions (`conversationActions`) go over the socket of this object's `events()` while one runs;
   * with none running they open a socket of their own, closed after this many ms with nothing to
   * do (or by `dispose()`, or as soon as an `events()` socket opens). Default 60000.
   */
  actionsIdleMs?: number;
}

/** The v1 name of {@link MessagingOptions}. */
export type MessagingSourceOptions = MessagingOptions;

/** Checks every option, throwing `ERR_INVALID_OPTIONS` synchronously (transport security is checked by the factory). */
export function validateOptions(options: MessagingOptions): ResolvedMessagingOptions {
  const check = new OptionsChecker('messaging');
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
  if (session === undefined || o['accountId'] !== undefined)
    check.nonEmptyString('accountId', o['accountId']);
  if (
    session !== undefined &&
    o['accountId'] !== undefined &&
    o['accountId'] !== (session as Session).accountId
  )
    check.fail('accountId', "the session's account id when both are given");
  const domain = o['domain'];
  if (
    (session === undefined || domain !== undefined) &&
    (typeof domain !== 'string' || domain.length === 0 || /[/\s?#@]/.test(domain) || !isHostPort(domain))
  )
    check.fail('domain', 'host[:port] without scheme or path');
  if (o['agentId'] !== undefined) checkAgentId(check, o['agentId'], o['accountId']);
  const convState = o['convState'];
  if (
    convState !== undefined &&
    (!Array.isArray(convState) ||
      convState.length === 0 ||
      convState.some((s) => s !== 'OPEN' && s !== 'CLOSE'))
  )
    check.fail('convState', "a non-empty array of 'OPEN' | 'CLOSE'");
  const resolved: ResolvedMessagingOptions = {
    ...shared,
    heartbeatIntervalMs: check.positive('heartbeatIntervalMs', o['heartbeatIntervalMs'], 30_000, {
      ms: true,
    }),
    heartbeatTimeoutMs: check.positive('heartbeatTimeoutMs', o['heartbeatTimeoutMs'], 10_000, { ms: true }),
    requestTimeoutMs: check.positive('requestTimeoutMs', o['requestTimeoutMs'], 10_000, { ms: true }),
    maxFrameBytes: check.positive('maxFrameBytes', o['maxFrameBytes'], 16 * 1024 * 1024, { integer: true }),
    historyPollMs:
      o['historyPollMs'] === undefined
        ? undefined
        : check.positive('historyPollMs', o['historyPollMs'], 0, { ms: true }),
    historyQueriesPerSecond: check.positive('historyQueriesPerSecond', o['historyQueriesPerSecond'], 20, {
      integer: true,
    }),
    actionsIdleMs: check.positive('actionsIdleMs', o['actionsIdleMs'], 60_000, { ms: true }),
  };
  if (o['agentNames'] !== undefined) check.boolean('agentNames', o['agentNames']);
  if (o['WebSocket'] !== undefined && typeof o['WebSocket'] !== 'function')
    check.fail('WebSocket', 'a WebSocket constructor');
  return resolved;
}

/** The shared options resolved in core, plus this adapter's timing with defaults applied. */
export interface ResolvedMessagingOptions extends ResolvedSharedOptions {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  requestTimeoutMs: number;
  maxFrameBytes: number;
  historyQueriesPerSecond: number;
  historyPollMs: number | undefined;
  actionsIdleMs: number;
}

/** Whether `domain` parses as the authority of a URL (a port above 65535 does not). */
function isHostPort(domain: string): boolean {
  try {
    return new URL(`wss://${domain}/`).host.length > 0;
  } catch {
    return false;
  }
}

/**
 * The subscription filter matches old-style agent ids only: `'77'` instead of `'123.77'` would
 * subscribe to nothing, silently.
 */
function checkAgentId(check: OptionsChecker, agentId: unknown, accountId: unknown): void {
  const id = check.nonEmptyString('agentId', agentId);
  const dot = id.indexOf('.');
  const account = typeof accountId === 'string' ? accountId : '{accountId}';
  if (dot <= 0 || dot === id.length - 1 || id.indexOf('.', dot + 1) !== -1 || /\s/.test(id))
    check.fail(
      'agentId',
      `of the form \`\${accountId}.\${userId}\` (e.g. '${account}.77'), the old-style agent id`,
    );
  if (typeof accountId === 'string' && id.slice(0, dot) !== accountId)
    check.fail('agentId', `of the form \`\${accountId}.\${userId}\` with this accountId ('${accountId}.…')`);
}
