import type { BackendId } from './event.js';

/**
 * The stable event id: `${backend}:${conversationId}:${key}` where `key` is the backend sequence
 * when the event has one, otherwise a deterministic key the adapter derives from the wire (e.g.
 * `typing-agent-1699999999000`). The same wire event yields the same id after a restart.
 */
export function eventId(backend: BackendId, conversationId: string, key: number | string): string {
  return `${backend}:${conversationId}:${key}`;
}
