import type { BackendId } from './event.js';

/**
 * The id of an event the backend numbers: `${backend}:${conversationId}:${seq}`, or
 * `${backend}:${conversationId}:${dialogId}:${seq}` for a non-main dialog (whose sequence is its
 * own). The same wire event yields the same id after a restart. docs/event-model.md lists the
 * whole scheme in one table; test/model/ids.test.ts keeps the two equal.
 */
export function eventId(backend: BackendId, conversationId: string, seq: number, dialogId?: string): string {
  return dialogId === undefined
    ? `${backend}:${conversationId}:${seq}`
    : `${backend}:${conversationId}:${dialogId}:${seq}`;
}

/** What a derived event (one the backend does not number) is about. */
export type DerivedKind = 'state' | 'typing' | 'participant';

/**
 * The id of an event an adapter derives from conversation metadata rather than reads as a
 * numbered wire event: `${backend}:${conversationId}:${kind}-${parts joined by '-'}`. The parts are
 * deterministic wire values (a state, who, on/off, a server timestamp in ms), so a re-delivered
 * change yields the same id.
 */
export function derivedEventId(
  backend: BackendId,
  conversationId: string,
  kind: DerivedKind,
  ...parts: ReadonlyArray<string | number>
): string {
  return `${backend}:${conversationId}:${kind}-${parts.join('-')}`;
}
