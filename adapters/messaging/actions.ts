// The messaging backend's outbound actions (production-behaviour.md §2): UMS requests on the events'
// socket of the same backend object, or one of their own when no events run (actions-socket.ts);
// refusals as coded errors. The at-most-once policy is core's.
import { Observable, type Subscriber } from 'rxjs';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import type {
  ActionsBackend,
  Availability,
  ConversationRef,
  Offer,
  SendContent,
  TransferTarget,
} from '../../src/runtime/actions-backend.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import type { Session } from './connection.js';
import { ActionSockets, type ActionSocketsConfig } from './actions-socket.js';

export interface MessagingActionsConfig {
  sockets: Omit<
    ActionSocketsConfig,
    'onOpen' | 'onNotification' | 'onFatal' | 'wanted' | 'logger' | 'metrics'
  >;
  /**
   * The agent's old-style id (`account.user`), needed by transfer, availability and rings: the
   * option, or the session's; rejects with a coded error when it cannot be known.
   */
  agentId(what: string): Promise<string>;
  accountId: string;
  /** How long a publish may take to reach the history before a read-back trusts a miss. */
  readBackDelayMs: number;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The messaging backend's {@link ActionsBackend}: every action over the events' socket of the same
 * backend object, or over one socket of its own when no events run.
 */
export class MessagingActions implements ActionsBackend {
  readonly id = 'messaging' as const;
  readonly readBackDelayMs: number;
  /** Where the requests go: the events' socket, or one of the actions' own. */
  private readonly sockets: ActionSockets;
  private readonly offerSubscribers = new Set<Subscriber<Offer>>();
  private readonly seenRings = new Set<string>();
  private disposed = false;

  constructor(private readonly cfg: MessagingActionsConfig) {
    this.readBackDelayMs = cfg.readBackDelayMs;
    this.sockets = new ActionSockets({
      ...cfg.sockets,
      logger: cfg.logger,
      metrics: cfg.metrics,
      onOpen: (s) => {
        if (this.offerSubscribers.size > 0) this.subscribeRouting(s);
      },
      onNotification: (type, body) => {
        if (type.endsWith('RoutingTaskNotification')) this.rings(body);
      },
      onFatal: (e) => {
        for (const s of [...this.offerSubscribers]) s.error(e);
      },
      wanted: () => this.offerSubscribers.size > 0,
    });
  }

  async publish(
    ref: ConversationRef,
    content: SendContent,
    clientMessageId: string,
  ): Promise<{ seq?: number }> {
    const event =
      'rich' in content
        ? { type: 'RichContentEvent', content: content.rich }
        : {
            type: 'ContentEvent',
            contentType: content.format === 'html' ? 'text/html' : 'text/plain',
            message: content.text,
          };
    const body: Record<string, unknown> = { dialogId: dialogOf(ref), event };
    if (content.audience === 'agents') body['messageAudience'] = 'AGENTS_AND_MANAGERS';
    const r = await this.call(ref, '.ams.ms.PublishEvent', body, [
      { type: 'ExternalId', id: clientMessageId },
    ]);
    const seq = (r as { sequence?: unknown } | undefined)?.sequence;
    return typeof seq === 'number' && seq > 0 ? { seq } : {};
  }

  async findSent(ref: ConversationRef, _content: SendContent, clientMessageId: string) {
    const after = Math.max(0, (ref.seq ?? 1) - 1);
    const records = await this.call(ref, '.ams.ms.QueryMessages', {
      dialogId: dialogOf(ref),
      newerThanSequence: after,
      fromSeq: after,
      maxQuantity: 100,
    });
    for (const r of Array.isArray(records) ? (records as Array<Record<string, unknown>>) : []) {
      const meta = Array.isArray(r['metadata'])
        ? (r['metadata'] as Array<{ type?: unknown; id?: unknown }>)
        : [];
      if (meta.some((m) => m?.type === 'ExternalId' && m.id === clientMessageId))
        return typeof r['sequence'] === 'number' ? { seq: r['sequence'] } : {};
    }
    return undefined;
  }

  async typing(ref: ConversationRef, on: boolean): Promise<void> {
    await this.call(ref, '.ams.ms.PublishEvent', {
      dialogId: dialogOf(ref),
      event: { type: 'ChatStateEvent', chatState: on ? 'COMPOSING' : 'ACTIVE' },
    });
  }

  async markRead(ref: ConversationRef, seqs: readonly number[]): Promise<void> {
    if (seqs.length === 0) return;
    await this.call(ref, '.ams.ms.PublishEvent', {
      dialogId: dialogOf(ref),
      event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [...seqs] },
    });
  }

  async close(ref: ConversationRef, scope: 'dialog' | 'conversation', retry: boolean): Promise<void> {
    const field =
      scope === 'conversation'
        ? { field: 'ConversationStateField', conversationState: 'CLOSE' }
        : { field: 'DialogChange', type: 'UPDATE', dialog: { dialogId: dialogOf(ref), state: 'CLOSE' } };
    try {
      await this.call(ref, '.ams.cm.UpdateConversationField', {
        conversationId: ref.conversationId,
        conversationField: [field],
      });
    } catch (e) {
      if (retry && isChatshiftError(e, 'ERR_CONVERSATION_CLOSED')) return;
      throw e;
    }
  }

  async transfer(ref: ConversationRef, target: TransferTarget, retry: boolean): Promise<void> {
    const agentId = await this.cfg.agentId('transfer');
    const fields: object[] = [
      { field: 'ParticipantsChange', type: 'REMOVE', role: 'ASSIGNED_AGENT', userId: agentId },
    ];
    if ('agentId' in target)
      fields.push({
        field: 'ParticipantsChange',
        type: 'SUGGEST',
        userId: String(target.agentId),
        role: 'ASSIGNED_AGENT',
      });
    else fields.push({ field: 'Skill', type: 'UPDATE', skill: String(target.skillId) });
    try {
      await this.call(ref, '.ams.cm.UpdateConversationField', {
        conversationId: ref.conversationId,
        conversationField: fields,
      });
    } catch (e) {
      const reason = isChatshiftError(e) ? String(e.details['reason'] ?? '') : '';
      // Removing an absent agent fails the request: after an unclear first try, that is done.
      if (/not in conversation/i.test(reason))
        if (retry) return;
        else throw coded('ERR_NOT_PARTICIPANT', 'messaging: the agent is not in the conversation', e, ref);
      if (/unavailable/i.test(reason))
        throw coded(
          'ERR_TRANSFER_TARGET_UNAVAILABLE',
          'messaging: the transfer target cannot take it',
          e,
          ref,
        );
      throw e;
    }
  }

  async setAvailability(a: Availability): Promise<void> {
    await this.call(undefined, '.ams.routing.SetAgentState', {
      availability: a.toUpperCase(),
      channels: ['MESSAGING'],
      agentUserId: await this.cfg.agentId('setAvailability'),
    });
  }

  offers(): Observable<Offer> {
    return new Observable<Offer>((subscriber) => {
      let active = true;
      // The agent id first: without one there is nothing to subscribe to (a coded error, never '').
      this.cfg.agentId('offers$').then(
        () => {
          if (!active) return;
          if (this.disposed) return subscriber.complete();
          this.offerSubscribers.add(subscriber);
          const now = this.sockets.current();
          if (this.offerSubscribers.size === 1 && now !== undefined) this.subscribeRouting(now);
          else if (now === undefined) void this.sockets.ready().catch((e: unknown) => subscriber.error(e));
        },
        (e: unknown) => {
          if (active) subscriber.error(e);
        },
      );
      return () => {
        active = false;
        this.offerSubscribers.delete(subscriber);
        this.sockets.settle();
      };
    });
  }

  async accept(offer: Offer): Promise<{ conversationId: string }> {
    if (Date.parse(offer.expiresAt) < Date.now()) throw gone(offer, 'expired');
    try {
      await this.call(undefined, '.ams.routing.UpdateRingState', {
        ringId: offer.offerId,
        ringState: 'ACCEPTED',
      });
    } catch (e) {
      if (isChatshiftError(e, 'ERR_PROTOCOL') && [400, 404].includes(Number(e.details['code'])))
        throw gone(offer, String(e.details['reason'] ?? 'refused'));
      if (
        isChatshiftError(e, 'ERR_TIMEOUT') ||
        (isChatshiftError(e, 'ERR_CONNECTION') && e.details['sent'] !== false)
      )
        throw new ChatshiftError('ERR_OUTCOME_UNKNOWN', 'messaging: an accept answer was lost; not retried', {
          cause: e,
          details: { offerId: offer.offerId },
        });
      throw e;
    }
    return { conversationId: offer.conversationId ?? '' };
  }

  async reject(offer: Offer): Promise<void> {
    try {
      await this.call(undefined, '.ams.routing.UpdateRingState', {
        ringId: offer.offerId,
        ringState: 'REJECTED',
      });
    } catch (e) {
      if (isChatshiftError(e, 'ERR_PROTOCOL') && [400, 404].includes(Number(e.details['code'])))
        throw gone(offer, String(e.details['reason'] ?? 'refused'));
      throw e;
    }
  }

  dispose(): Promise<void> {
    this.disposed = true;
    this.sockets.dispose();
    for (const s of [...this.offerSubscribers]) s.complete();
    return Promise.resolve();
  }

  /** One request on the actions' socket, its refusal mapped to a code. */
  private async call(
    ref: ConversationRef | undefined,
    type: string,
    body: object,
    metadata?: object[],
  ): Promise<unknown> {
    try {
      return await this.sockets.run(async (s) => (await s.request(type, body, undefined, metadata)).body);
    } catch (e) {
      throw refusal(e, ref);
    }
  }

  private subscribeRouting(s: Session): void {
    this.cfg
      .agentId('offers$')
      .then((agentId) =>
        s.request('.ams.routing.SubscribeRoutingTasks', {
          channelType: 'MESSAGING',
          agentId,
          brandId: this.cfg.accountId,
        }),
      )
      .catch((e: unknown) =>
        this.cfg.logger.warn('messaging: routing subscription failed', {
          code: isChatshiftError(e) ? e.code : 'unknown',
        }),
      );
  }

  /** Waiting rings become offers, each ring id once (the same ring may be repeated). */
  private rings(body: unknown): void {
    const changes = (body as { changes?: unknown } | null)?.changes;
    for (const ch of Array.isArray(changes) ? (changes as Array<{ result?: Record<string, unknown> }>) : []) {
      const result = ch?.result ?? {};
      const details = Array.isArray(result['ringsDetails'])
        ? (result['ringsDetails'] as Array<Record<string, unknown>>)
        : [];
      for (const d of details) {
        const ringId = d['ringId'];
        const expires = Number(d['ringExpiration']);
        if (typeof ringId !== 'string' || d['ringState'] !== 'WAITING' || this.seenRings.has(ringId))
          continue;
        if (!Number.isFinite(expires)) continue;
        this.seenRings.add(ringId);
        const offer: Offer = {
          backend: 'messaging',
          offerId: ringId,
          ...(typeof result['conversationId'] === 'string'
            ? { conversationId: result['conversationId'] }
            : {}),
          expiresAt: new Date(expires).toISOString(),
        };
        for (const s of this.offerSubscribers) s.next(offer);
      }
    }
  }
}

const dialogOf = (ref: ConversationRef): string => ref.dialogId ?? ref.conversationId;

/** A refused request as its code: 429, unknown, not a participant, closed (by the server's reason). */
function refusal(e: unknown, ref: ConversationRef | undefined): unknown {
  if (!isChatshiftError(e, 'ERR_PROTOCOL')) return e;
  const code = Number(e.details['code']);
  const reason = String(e.details['reason'] ?? '');
  if (code === 429)
    return new ChatshiftError('ERR_RATE_LIMITED', 'messaging: the request was refused with 429', {
      cause: e,
      details: { code, retryAfterMs: Math.max(1000, Number(e.details['retryAfterMs'] ?? 1000)) },
    });
  if (ref === undefined) return e;
  if (code === 404)
    return coded('ERR_UNKNOWN_CONVERSATION', 'messaging: unknown conversation or dialog', e, ref);
  if (code === 403) return coded('ERR_NOT_PARTICIPANT', 'messaging: the agent is not a participant', e, ref);
  if (code === 400 && /closed/i.test(reason))
    return coded('ERR_CONVERSATION_CLOSED', 'messaging: the conversation is closed', e, ref);
  return e;
}

function coded(
  code:
    | 'ERR_UNKNOWN_CONVERSATION'
    | 'ERR_NOT_PARTICIPANT'
    | 'ERR_CONVERSATION_CLOSED'
    | 'ERR_TRANSFER_TARGET_UNAVAILABLE',
  message: string,
  cause: unknown,
  ref: ConversationRef,
): ChatshiftError {
  const d = isChatshiftError(cause) ? cause.details : {};
  return new ChatshiftError(code, message, {
    cause,
    details: { code: d['code'], conversationId: ref.conversationId },
  });
}

function gone(offer: Offer, why: string): ChatshiftError {
  return new ChatshiftError('ERR_OFFER_GONE', `messaging: the offer is gone (${why})`, {
    details: { offerId: offer.offerId },
  });
}
