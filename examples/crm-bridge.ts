/**
 * A CRM bridge: every visible message of a conversation becomes a note on that conversation's CRM
 * case, and a closed conversation closes its case. Reads through `conversationEvents`, so the same
 * code serves the legacy Chat Agent API, the Messaging WebSocket, or both during a cutover.
 *
 * Safe by construction: `flowControl` pauses the sources while the CRM is behind, and its
 * `checkpoints(store)` wrapper saves a conversation's cursor only once its events were written, so
 * a crash re-delivers unfinished events (same `id`) instead of skipping them. The CRM writes are
 * therefore keyed by the event id (idempotent).
 */
import type { Observable } from 'rxjs';
import { conversationEvents, flowControl } from 'chatshift';
import type { Backend, BackendFlag, CheckpointStore, ConversationEvent, Logger } from 'chatshift';

/** A note as the CRM stores it. `id` is the chatshift event id, the idempotency key. */
export interface CrmNote {
  readonly id: string;
  readonly author: string;
  readonly text: string;
  readonly at: string;
}

/** The part of a CRM client the bridge needs; both calls must be idempotent. */
export interface Crm {
  appendNote(caseId: string, note: CrmNote): Promise<void>;
  closeCase(caseId: string): Promise<void>;
}

/** What the bridge reads from and writes to. */
export interface CrmBridgeOptions {
  /** Which backend serves conversations: a fixed choice or a flag that changes at run time. */
  readonly backend: BackendFlag;
  /** The legacy backend (`legacyChat(...)`), when the flag can choose it. */
  readonly legacy?: Backend;
  /** The messaging backend (`messaging(...)`), when the flag can choose it. */
  readonly messaging?: Backend;
  /** Where the cursors live between runs (`fileCheckpointStore(path)` in production). */
  readonly checkpoint: CheckpointStore;
  readonly crm: Crm;
  readonly logger?: Logger;
}

/** The CRM case of a conversation: one per backend and conversation id. */
export const caseIdOf = (e: ConversationEvent): string => `${e.backend}/${e.conversationId}`;

/**
 * The bridge as a cold Observable: subscribing starts it, unsubscribing stops it. It emits each
 * event once the CRM has it, and errors if a CRM call fails (after its checkpoint stayed behind).
 */
export function crmBridge(options: CrmBridgeOptions): Observable<ConversationEvent> {
  const flow = flowControl({ highWaterMark: 500 });
  return conversationEvents({
    backend: options.backend,
    ...(options.legacy === undefined ? {} : { legacy: options.legacy }),
    ...(options.messaging === undefined ? {} : { messaging: options.messaging }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    flow,
    checkpoint: flow.checkpoints(options.checkpoint),
  }).pipe(flow.process((event: ConversationEvent) => write(options.crm, event)));
}

async function write(crm: Crm, event: ConversationEvent): Promise<void> {
  switch (event.type) {
    case 'message':
      // Notes private to agents stay out of the customer's case history.
      if (event.audience === 'agents') return;
      return crm.appendNote(caseIdOf(event), {
        id: event.id,
        author: event.from.name ?? event.from.role,
        text: event.text,
        at: event.time,
      });
    case 'state':
      if (event.state === 'closed') return crm.closeCase(caseIdOf(event));
      return;
    default:
      return;
  }
}
