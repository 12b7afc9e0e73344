/**
 * Fault switches of the Messaging simulator (protocol §5 and §10). Every field can be changed
 * while the simulator runs; defaults describe a healthy server.
 */
export interface SimulatorFaults {
  /** Half-open socket: send nothing (no responses, notifications or pongs), ignore requests. Default false. */
  silent: boolean;
  /** Delay every outgoing frame by this many ms (order kept). Default 0. */
  delayMs: number;
  /** Send every live event twice. Default false. */
  duplicateNotifications: boolean;
  /** Swap live events in pairs (each is held until the next one has been sent). Default false. */
  reorderNotifications: boolean;
  /** Lose the next N live events (they stay in history): the client sees a sequence gap. Default 0. */
  dropNotifications: number;
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

export function createFaults(): SimulatorFaults {
  return {
    silent: false,
    delayMs: 0,
    duplicateNotifications: false,
    reorderNotifications: false,
    dropNotifications: 0,
    staleConversationChanges: false,
    handshake: 'ok',
    unknownBearer: 'handshake-401',
    queryMessagesBound: 'exclusive',
    emptyChangesAfterSubscribe: true,
  };
}
