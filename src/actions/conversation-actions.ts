import { randomUUID } from 'node:crypto';
import { merge, Observable } from 'rxjs';
import { ChatshiftError } from '../errors.js';
import type { BackendId } from '../model/event.js';
import type {
  ActionsBackend,
  Availability,
  ConversationRef,
  Offer,
  SendContent,
  TransferTarget,
} from '../runtime/actions-backend.js';
import type { Backend } from '../runtime/backend.js';
import { BACKEND_ATTR } from '../runtime/metric-catalog.js';
import { redactingLogger, silentLogger, type Logger } from '../runtime/logger.js';
import { noopMetrics, withAttributes, type Metrics } from '../runtime/metrics.js';
import { OptionsChecker, resolveServices } from '../runtime/options.js';
import { idempotent, sendAtMostOnce, withRateLimit, type AtMostOnceTiming } from './at-most-once.js';
import { KeyedQueue } from './keyed-queue.js';
import { checkContent, checkRef } from './validate.js';

/** Options of {@link conversationActions}. At least one backend is required. */
export interface ConversationActionsOptions {
  /** The legacy backend object (`legacyChat()`), for conversations whose events come from it. */
  legacy?: Backend;
  /** The messaging backend object (`messaging()`), for conversations whose events come from it. */
  messaging?: Backend;
  /** Most actions running at once over all conversations (one at a time per conversation). Default 16. */
  maxConcurrent?: number;
  /** Longest total wait for 429s on one action before it fails with `ERR_RATE_LIMITED`. Default 30000. */
  maxRateLimitWaitMs?: number;
  /** Console-compatible logger (redacted). Default: silent. */
  logger?: Logger;
  /**
   * Counters, each with `chatshift.backend`: `sends` (one per send, by `chatshift.outcome`: `sent`,
   * `already_sent`, `found_on_read_back`, `resent`, `refused`, `rate_limited`, `unknown`, `failed`; with `error.type`
   * when it failed), `actions.rate_limited` (429s waited out), `actions.unclear` (unclear outcomes
   * of any action). The messaging actions' own socket adds its `ws.*` counters. Default: none.
   */
  metrics?: Metrics;
}

/** What `send` resolves with. */
export interface SendResult {
  backend: BackendId;
  conversationId: string;
  /** The new message's sequence (legacy: event id), where the backend gave one. */
  seq?: number;
  /** The id the message carries (given or generated); messaging echoes it as `ExternalId`. */
  clientMessageId: string;
  /** With `skipIfSent`: the message was already in the conversation, and nothing was posted. */
  alreadySent?: true;
}

/** Options of `send`. */
export interface SendOptions {
  /**
   * The message's id, 1–64 characters (default: a new UUID). Derive it from what you answer
   * (`reply:${event.id}`, hashed if long) so that the same answer always has the same id.
   */
  clientMessageId?: string;
  /**
   * Read the conversation first: if this message is already there, resolve with it
   * (`alreadySent: true`) and post nothing. Messaging finds it by `clientMessageId` (its
   * `ExternalId`); legacy, whose lines carry no id, by the same text from the agent after
   * `ref.seq`. Use it when answering events: an event delivered again after a crash, a restart or
   * a shard takeover is then not answered twice. Costs one read per send; requires
   * `clientMessageId`. A read that fails fails the send, unsent.
   */
  skipIfSent?: boolean;
}

/** Options of `close`. */
export interface CloseOptions {
  /**
   * Messaging: `'dialog'` closes the main dialog, so a post-conversation survey still runs;
   * `'conversation'` closes everything. Legacy ends the chat either way. Default `'dialog'`.
   */
  scope?: 'dialog' | 'conversation';
}

/** The outbound actions, routed to the backend that owns each conversation. */
export interface ConversationActions {
  /** Posts a message at most once; see docs/actions.md for the guarantee. */
  send(ref: ConversationRef, content: SendContent, options?: SendOptions): Promise<SendResult>;
  /** Starts or stops the agent's typing indicator. */
  typing(ref: ConversationRef, typing: boolean): Promise<void>;
  /** Marks messages read (messaging). Legacy has no read receipts: a documented no-op. */
  markRead(ref: ConversationRef, seqs: readonly number[]): Promise<void>;
  /** Closes the conversation (messaging: its main dialog unless `scope: 'conversation'`). */
  close(ref: ConversationRef, options?: CloseOptions): Promise<void>;
  /** Transfers to a skill or an agent. */
  transfer(ref: ConversationRef, target: TransferTarget): Promise<void>;
  /** Sets the agent's availability on every configured backend. */
  setAvailability(availability: Availability): Promise<void>;
  /** Incoming legacy chats and messaging rings, each with its expiry (cold). */
  readonly offers$: Observable<Offer>;
  /** Takes an offer; never retried blindly. Its events then come through `conversationEvents`. */
  accept(offer: Offer): Promise<{ backend: BackendId; conversationId: string }>;
  /** Declines an offer. */
  reject(offer: Offer): Promise<void>;
  /** Closes what the actions opened (a messaging socket). Idempotent. */
  dispose(): Promise<void>;
}

/**
 * One set of actions over both backends: each action goes to the backend named by the ref
 * (`ref.backend` — any `ConversationEvent` is a ref), so a legacy chat still draining during a
 * cutover is answered through legacy. Validates options now; opens nothing until an action runs.
 *
 * @example
 * ```ts
 * import { conversationActions } from 'chatshift';
 *
 * const actions = conversationActions({ legacy, messaging: msg });
 * events$.subscribe((e) => {
 *   if (e.type === 'message' && e.from.role === 'consumer') void actions.send(e, { text: 'Hi!' });
 * });
 * ```
 */
export function conversationActions(options: ConversationActionsOptions): ConversationActions {
  const check = new OptionsChecker('conversationActions');
  const o = check.object(options);
  const backends = new Map<BackendId, ActionsBackend>();
  const services = resolveServices(check, o);
  const logger = redactingLogger(services.logger ?? silentLogger, () => []);
  const metrics = services.metrics ?? noopMetrics;
  for (const [option, id] of [
    ['legacy', 'legacy-chat'],
    ['messaging', 'messaging'],
  ] as const) {
    const b = o[option] as Partial<Backend> | undefined;
    if (b === undefined) continue;
    const make = typeof b === 'object' && b !== null && b.id === id ? b.actions : undefined;
    if (make === undefined)
      return check.fail(
        option,
        `a ${id} backend object with actions (from ${option === 'legacy' ? 'legacyChat' : 'messaging'}())`,
      );
    backends.set(id, make.call(b, { logger, metrics: withAttributes(metrics, { [BACKEND_ATTR]: id }) }));
  }
  if (backends.size === 0) check.fail('legacy', 'a backend (legacy and/or messaging)');
  const queue = new KeyedQueue(check.positive('maxConcurrent', o['maxConcurrent'], 16, { integer: true }));
  const shared: AtMostOnceTiming = {
    maxRateLimitWaitMs: check.positive('maxRateLimitWaitMs', o['maxRateLimitWaitMs'], 30_000, { ms: true }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    logger,
    metrics,
  };
  // Every counter of an action carries the backend it went to.
  const timings = new Map<BackendId, AtMostOnceTiming>(
    [...backends.keys()].map((id) => [
      id,
      { ...shared, metrics: withAttributes(metrics, { [BACKEND_ATTR]: id }) },
    ]),
  );
  const timingOf = (b: ActionsBackend): AtMostOnceTiming => timings.get(b.id) ?? shared;

  const owner = (backend: unknown): ActionsBackend => {
    const b = backends.get(backend as BackendId);
    if (b === undefined)
      throw new ChatshiftError(
        'ERR_BACKEND_UNAVAILABLE',
        `conversationActions: no ${String(backend)} backend was given`,
        {
          details: { backend },
        },
      );
    return b;
  };
  const onRef = <T>(
    what: string,
    ref: ConversationRef,
    fn: (b: ActionsBackend) => Promise<T>,
  ): Promise<T> => {
    try {
      checkRef(what, ref);
      const b = owner(ref.backend);
      return queue.run(`${ref.backend}:${ref.conversationId}`, () => fn(b));
    } catch (e) {
      return Promise.reject(e);
    }
  };

  return {
    send: (ref, content, sendOptions = {}) =>
      onRef('send', ref, async (b) => {
        checkContent(content);
        const clientMessageId = sendOptions.clientMessageId ?? randomUUID();
        if (
          typeof clientMessageId !== 'string' ||
          clientMessageId.length === 0 ||
          clientMessageId.length > 64
        )
          throw new ChatshiftError('ERR_INVALID_OPTIONS', 'send: clientMessageId must be 1 to 64 characters');
        const skipIfSent = sendOptions.skipIfSent;
        if (skipIfSent !== undefined && typeof skipIfSent !== 'boolean')
          throw new ChatshiftError('ERR_INVALID_OPTIONS', 'send: skipIfSent must be a boolean');
        if (skipIfSent === true && sendOptions.clientMessageId === undefined)
          throw new ChatshiftError(
            'ERR_INVALID_OPTIONS',
            'send: skipIfSent needs a clientMessageId (derive it from the event you answer)',
          );
        const r = await sendAtMostOnce(
          {
            publish: () => b.publish(ref, content, clientMessageId),
            findSent: (beforeSend) => b.findSent(ref, content, clientMessageId, beforeSend),
            readBackDelayMs: b.readBackDelayMs,
            checkFirst: skipIfSent === true,
          },
          timingOf(b),
        );
        return {
          backend: ref.backend,
          conversationId: ref.conversationId,
          ...(r.seq === undefined ? {} : { seq: r.seq }),
          clientMessageId,
          ...(r.alreadySent === true ? { alreadySent: true as const } : {}),
        };
      }),
    typing: (ref, on) =>
      onRef('typing', ref, (b) => idempotent(() => b.typing(ref, on === true), timingOf(b))),
    markRead: (ref, seqs) =>
      onRef('markRead', ref, (b) => {
        if (!Array.isArray(seqs) || !seqs.every((n) => Number.isSafeInteger(n) && n >= 0))
          throw new ChatshiftError('ERR_INVALID_OPTIONS', 'markRead: seqs must be non-negative integers');
        return idempotent(() => b.markRead(ref, seqs), timingOf(b));
      }),
    close: (ref, closeOptions = {}) =>
      onRef('close', ref, (b) =>
        idempotent((retry) => b.close(ref, closeOptions.scope ?? 'dialog', retry), timingOf(b)),
      ),
    transfer: (ref, target) =>
      onRef('transfer', ref, (b) => {
        const t = target as { skillId?: unknown; agentId?: unknown } | null;
        const ok = (v: unknown) =>
          (typeof v === 'string' && v.length > 0) || (typeof v === 'number' && Number.isSafeInteger(v));
        if (t === null || typeof t !== 'object' || !(ok(t.skillId) || ok(t.agentId)))
          throw new ChatshiftError('ERR_INVALID_OPTIONS', 'transfer: give { skillId } or { agentId }');
        return idempotent((retry) => b.transfer(ref, target, retry), timingOf(b));
      }),
    setAvailability: async (availability) => {
      if (!['online', 'away', 'occupied'].includes(availability))
        throw new ChatshiftError('ERR_INVALID_OPTIONS', "setAvailability: 'online', 'away' or 'occupied'");
      await Promise.all(
        [...backends.values()].map((b) => idempotent(() => b.setAvailability(availability), timingOf(b))),
      );
    },
    offers$: new Observable<Offer>((subscriber) =>
      merge(...[...backends.values()].map((b) => b.offers())).subscribe(subscriber),
    ),
    accept: async (offer) => {
      const b = owner((offer as Partial<Offer> | null)?.backend);
      // A 429 applied nothing, so it is waited out; anything unclear is the adapter's coded answer.
      const r = await withRateLimit(() => b.accept(offer), timingOf(b));
      return { backend: b.id, conversationId: r.conversationId };
    },
    reject: (offer) => {
      const b = owner((offer as Partial<Offer> | null)?.backend);
      return withRateLimit(() => b.reject(offer), timingOf(b));
    },
    dispose: async () => {
      await Promise.all([...backends.values()].map((b) => b.dispose()));
    },
  };
}
