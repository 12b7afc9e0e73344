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
}

/**
 * A one-shot fault of the Messaging simulator, queued with `sim.faults.queue(fault, { times })`:
 * - `{ notification: 'drop' }`: the next live event sent to a socket is lost (it stays in history,
 *   so the client sees a sequence gap);
 * - `{ handshake: 401 | 502 | 'stall' }`: the next WebSocket handshake is refused, or accepted at
 *   TCP level and never answered.
 */
export type MessagingFault = { notification: 'drop' } | { handshake: 401 | 502 | 'stall' };

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
};
