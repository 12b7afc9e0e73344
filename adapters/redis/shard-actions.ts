// A shard's outbound actions, bound to one ownership: nothing is sent once it has ended.
import { takeWhile, type Observable } from 'rxjs';
import { conversationActions, type ConversationActions } from '../../src/actions/conversation-actions.js';
import { ChatshiftError } from '../../src/errors.js';
import type { Offer } from '../../src/runtime/actions-backend.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import type { ShardBackends } from './shard.js';
import { backendsOf } from './sharded-parts.js';

/** One ownership's actions and what ends them. */
export interface OwnedActions {
  readonly actions: ConversationActions | undefined;
  /** The ownership ended: every later action is refused; what the actions opened is closed. */
  end(): Promise<void>;
}

/**
 * `conversationActions` over the shard's backends, each call checked against the ownership:
 * while `valid()` it goes through; after it (or once `end()` ran) it rejects with
 * `ERR_LEASE_LOST` before anything is sent. An action already under way when the lease goes is
 * stopped where its bytes leave by the guards the backends were built with. Backends without
 * actions give `actions: undefined` (logged once at debug).
 */
export function ownedActions(
  shard: string,
  backends: ShardBackends,
  valid: () => boolean,
  services: { logger: Logger; metrics: Metrics },
): OwnedActions {
  let inner: ConversationActions;
  try {
    inner = conversationActions({ ...backendsOf(backends), ...services });
  } catch (e) {
    services.logger.debug?.(`shard ${shard}: no actions (a backend has none)`, {
      shard,
      error: e instanceof Error ? e.message : String(e),
    });
    return { actions: undefined, end: () => Promise.resolve() };
  }
  let ended = false;
  const allowed = (): boolean => !ended && valid();
  const refused = <T>(what: string): Promise<T> =>
    Promise.reject(
      new ChatshiftError(
        'ERR_LEASE_LOST',
        `shard ${shard}: ${what} not sent, this instance no longer owns the shard`,
        { details: { shard } },
      ),
    );
  const offers$: Observable<Offer> = inner.offers$.pipe(takeWhile(allowed));
  const actions: ConversationActions = {
    send: (ref, content, options) => (allowed() ? inner.send(ref, content, options) : refused('send')),
    typing: (ref, typing) => (allowed() ? inner.typing(ref, typing) : refused('typing')),
    markRead: (ref, seqs) => (allowed() ? inner.markRead(ref, seqs) : refused('markRead')),
    close: (ref, options) => (allowed() ? inner.close(ref, options) : refused('close')),
    transfer: (ref, target) => (allowed() ? inner.transfer(ref, target) : refused('transfer')),
    setAvailability: (a) => (allowed() ? inner.setAvailability(a) : refused('setAvailability')),
    offers$,
    accept: (offer) => (allowed() ? inner.accept(offer) : refused('accept')),
    reject: (offer) => (allowed() ? inner.reject(offer) : refused('reject')),
    dispose: () => inner.dispose(),
  };
  return {
    actions,
    end: () => {
      ended = true;
      return inner.dispose();
    },
  };
}
