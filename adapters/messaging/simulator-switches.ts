// The Messaging simulator's fault model (protocol §5 and §10): persistent switches, one-shot faults.

/**
 * Switches of the Messaging simulator. Every field can be changed while it runs (`configure`);
 * defaults describe a healthy server.
 */
export interface MessagingSimulatorSwitches {
  /** Half-open socket: send nothing (no responses, notifications or pongs), ignore requests. Default false. */
  silent: boolean;
  /** Delay every outgoing frame by this many ms (order kept). Default 0. */
  delayMs: number;
  /** Send every live event twice. Default false. */
  duplicateNotifications: boolean;
  /** Swap live events in pairs (each is held until the next one has been sent). Default false. */
  reorderNotifications: boolean;
  /** After each UPSERT, also send a stale one (older `metaDataLastUpdateTs`, OPEN, no participants). Default false. */
  staleConversationChanges: boolean;
  /** Handshake behaviour: accept, refuse with 401 or 502, or accept TCP and never answer. Default 'ok'. */
  handshake: 'ok' | 401 | 502 | 'stall';
  /** Unknown bearer: refuse the handshake with 401, or open and close with 4401. Default 'handshake-401'. */
  unknownBearer: 'handshake-401' | 'close-4401';
  /** QueryMessages bound: `newerThanSequence` exclusive, or `fromSeq` inclusive. Default 'exclusive'. */
  queryMessagesBound: 'exclusive' | 'inclusive';
  /** Send a `changes: []` notification right after a subscribe. Default true. */
  emptyChangesAfterSubscribe: boolean;
  /**
   * Who gets live events (`OnlineEventDistribution`): production sends them only to sockets whose
   * agent participates in the conversation (any role); `'every-socket'` is the old lenient model.
   * Default 'participants'.
   */
  liveEventsTo: 'participants' | 'every-socket';
  /**
   * What an `agentIds` subscription filter matches: production matches conversations where the
   * agent is the ASSIGNED_AGENT; `'assigned-or-manager'` also matches managers (the old lenient
   * model). Default 'assigned'.
   */
  agentIdsMatch: 'assigned' | 'assigned-or-manager';
  /**
   * QueryMessages accepted per socket in any 1 s window; beyond it the request is answered 429
   * (M4: "avoid bursts"). The real limit is undocumented. Default 0 (no limit).
   */
  queryMessagesPerSecond: number;
  /**
   * Which messaging host CSDS lists (M3): both, or only `facadeMsg` (current SDKs, since 1.4.5) or
   * only `asyncMessagingEnt` (older ones). Either names this simulator. Default 'both'.
   */
  csdsMessagingService: 'both' | 'facadeMsg' | 'asyncMessagingEnt';
  /** How `revokeToken` ends the token's sockets when no close code is given: 4401, or abruptly (1006, SDK issue #29). Default 4401. */
  revocationClose: 4401 | 'abrupt';
}

/**
 * A one-shot fault of the Messaging simulator, queued with `sim.faults.queue(fault, { times })`:
 * - `{ notification: 'drop' }`: the next live event sent to a socket is lost (it stays in history,
 *   so the client sees a sequence gap);
 * - `{ handshake: 401 | 404 | 502 | 'stall' }`: the next WebSocket handshake is refused, or accepted at
 *   TCP level and never answered;
 * - `{ request, code: 429, retryAfter? }`: the next request of that type is answered 429;
 * - `{ request, commitThenDrop }`: the next request of that type is applied, then its answer is lost.
 */
export type MessagingFault =
  | { notification: 'drop' }
  | { handshake: 401 | 404 | 502 | 'stall' }
  /**
   * The next request of this type (`QueryMessages`, `SubscribeExConversations`, … without the
   * `.ams.*.` prefix) is answered 429, with `retryAfter` seconds in the body when given (M4).
   */
  | { request: string; code: 429; retryAfter?: number }
  /**
   * Commit-then-drop (production-behaviour.md §3): the next request of this type is applied, then
   * its socket is cut without an answer (`close`), or its answer waits `delayMs` (default 60 s) —
   * past the client's deadline (`delay`).
   */
  | { request: string; commitThenDrop: 'close' | 'delay'; delayMs?: number };

export const DEFAULT_SWITCHES: Readonly<MessagingSimulatorSwitches> = {
  silent: false,
  delayMs: 0,
  duplicateNotifications: false,
  reorderNotifications: false,
  staleConversationChanges: false,
  handshake: 'ok',
  unknownBearer: 'handshake-401',
  queryMessagesBound: 'exclusive',
  emptyChangesAfterSubscribe: true,
  liveEventsTo: 'participants',
  agentIdsMatch: 'assigned',
  queryMessagesPerSecond: 0,
  revocationClose: 4401,
  csdsMessagingService: 'both',
};
