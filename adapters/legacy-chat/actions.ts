// The legacy backend's outbound actions (production-behaviour.md §2): one request per action on the
// agent session, refusals as coded errors. The at-most-once policy is core's (src/actions/).
import { Observable } from 'rxjs';
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
import type { AgentSessionClient } from './client.js';
import { acceptNext, readIncoming } from './incoming.js';
import { retryAfterMs } from './retry-policy.js';

/** The current agent session: its URL and the client that carries its bearer and cookies. */
export interface AgentSessionHandle {
  agentSessionUrl: string;
  client: AgentSessionClient;
}

export interface LegacyActionsConfig {
  /** Yields the agent session to act through (the events' session where one is open). */
  agentSession(): Promise<AgentSessionHandle>;
  /** Poll interval: how often offers are looked for. */
  pollIntervalMs: number;
  /** How long a write may take to land before a read-back trusts a miss. */
  readBackDelayMs: number;
  /** How long an offer stays valid after it is seen (production: ~20 s before the agent turns Away). */
  offerTtlMs: number;
  /** A chat accepted through the actions: the events follow it from now on. */
  adopt(chatSessionKey: string): void;
  logger: Logger;
  metrics: Metrics;
}

const Q = '?v=1&NC=true';
const PUT = { 'x-http-method-override': 'PUT' };
const availabilityWire: Record<Availability, string> = {
  online: 'Online',
  away: 'Away',
  occupied: 'Occupied',
};

/** The legacy backend's {@link ActionsBackend}. */
export function legacyActions(cfg: LegacyActionsConfig): ActionsBackend {
  /** Highest event id each chat's confirmed sends got: a read-back looks after it. */
  const confirmed = new Map<string, number>();
  const chatUrl = (s: AgentSessionHandle, key: string) =>
    `${s.agentSessionUrl}/chat/${encodeURIComponent(key)}`;
  const never = new AbortController().signal;
  const post = async (
    ref: ConversationRef | undefined,
    path: (s: AgentSessionHandle) => string,
    body: unknown,
    put = false,
  ) => {
    const s = await cfg.agentSession();
    try {
      return await s.client.send('POST', path(s), JSON.stringify(body), never, put ? PUT : undefined);
    } catch (e) {
      throw await refusal(e, s, ref);
    }
  };
  /** Maps a refused write to its code; a 4xx on a chat asks the chat's state to tell closed apart. */
  const refusal = async (
    e: unknown,
    s: AgentSessionHandle,
    ref: ConversationRef | undefined,
  ): Promise<unknown> => {
    if (!isChatshiftError(e, 'ERR_HTTP_STATUS')) return e;
    const status = e.details['status'];
    if (status === 429)
      return new ChatshiftError('ERR_RATE_LIMITED', 'legacy-chat: the action was refused with 429', {
        cause: e,
        details: { status, retryAfterMs: retryAfterMs(e.details['retryAfter'], Date.now()) },
      });
    if (ref === undefined || typeof status !== 'number' || status >= 500) return e;
    if (status === 404)
      return new ChatshiftError(
        'ERR_UNKNOWN_CONVERSATION',
        'legacy-chat: the agent session does not know this chat',
        {
          cause: e,
          details: { status, conversationId: ref.conversationId },
        },
      );
    const ended = await chatEnded(s, ref).catch(() => false);
    if (ended)
      return new ChatshiftError('ERR_CONVERSATION_CLOSED', 'legacy-chat: the chat has ended', {
        cause: e,
        details: { status, conversationId: ref.conversationId },
      });
    return e;
  };
  const chatEnded = async (s: AgentSessionHandle, ref: ConversationRef): Promise<boolean> => {
    const events = await readEvents(s, ref, 0);
    return events.some((ev) => ev.type === 'state' && ev.state === 'ended');
  };
  const readEvents = async (s: AgentSessionHandle, ref: ConversationRef, from: number) => {
    const body = await s.client.json(
      'GET',
      `${chatUrl(s, ref.conversationId)}/events${Q}&from=${from}`,
      'events',
      never,
    );
    return eventsOf(body);
  };

  return {
    id: 'legacy-chat',
    readBackDelayMs: cfg.readBackDelayMs,
    async publish(ref, content, _clientMessageId) {
      const res = await post(ref, (s) => `${chatUrl(s, ref.conversationId)}/events${Q}`, {
        event: lineOf(content),
      });
      const href = (() => {
        try {
          const v = JSON.parse(res.body) as { chatEventLocation?: { link?: { '@href'?: unknown } } };
          return v.chatEventLocation?.link?.['@href'];
        } catch {
          return undefined;
        }
      })();
      const m = typeof href === 'string' ? /\/events\/(\d+)\/?$/.exec(href) : null;
      const seq = m === null ? undefined : Number(m[1]);
      if (seq !== undefined)
        confirmed.set(ref.conversationId, Math.max(seq, confirmed.get(ref.conversationId) ?? -1));
      return seq === undefined ? {} : { seq };
    },
    async findSent(ref, content, _clientMessageId, beforeSend) {
      // Legacy lines carry no client id: the line is ours when the agent wrote the same text after
      // both the event replied to and the last line this chat's sends confirmed (docs/actions.md).
      // Before a `skipIfSent` send, after the event replied to only: an earlier copy counts.
      const after =
        beforeSend === true
          ? (ref.seq ?? -1)
          : Math.max(ref.seq ?? -1, confirmed.get(ref.conversationId) ?? -1);
      const s = await cfg.agentSession();
      const line = lineOf(content);
      let events;
      try {
        events = await readEvents(s, ref, after + 1);
      } catch (e) {
        throw await refusal(e, s, ref);
      }
      const hit = events.find(
        (ev) =>
          ev.type === 'line' &&
          ev.source === 'agent' &&
          ev.id > after &&
          ev.text === line.text &&
          (ev.textType ?? 'plain') === line.textType,
      );
      if (hit === undefined) return undefined;
      confirmed.set(ref.conversationId, Math.max(hit.id, confirmed.get(ref.conversationId) ?? -1));
      return { seq: hit.id };
    },
    async typing(ref, on) {
      await post(
        ref,
        (s) => `${chatUrl(s, ref.conversationId)}/info/agentTyping${Q}`,
        { agentTyping: on ? 'typing' : 'not-typing' },
        true,
      );
    },
    // Legacy has no read receipts (production-behaviour.md §2): a documented no-op, no request.
    markRead: () => Promise.resolve(),
    async close(ref, _scope, retry) {
      try {
        await post(ref, (s) => `${chatUrl(s, ref.conversationId)}/events${Q}`, {
          event: { '@type': 'state', state: 'ended' },
        });
      } catch (e) {
        // Ending twice is undocumented: `state ended` is done (DC end-chat).
        if (retry && isChatshiftError(e, 'ERR_CONVERSATION_CLOSED')) return;
        throw e;
      }
    },
    async transfer(ref, target, retry) {
      const s = await cfg.agentSession();
      const url = `${chatUrl(s, ref.conversationId)}/transfer${Q}`;
      const body: Record<string, unknown> = {};
      if ('agentId' in target) body['agent'] = { id: Number(target.agentId) };
      else {
        // DC retrieve-available-skills: only skills with agents online are offered.
        let skills: unknown;
        try {
          skills = await s.client.json('GET', url, 'transfer', never);
        } catch (e) {
          const r = await refusal(e, s, ref);
          if (retry && isChatshiftError(r, 'ERR_UNKNOWN_CONVERSATION')) return;
          throw r;
        }
        if (!skillIds(skills).includes(String(target.skillId))) throw unavailable(ref, target);
        body['skill'] = { id: Number(target.skillId) };
      }
      try {
        await post(ref, () => url, { transfer: body });
      } catch (e) {
        // After an unclear first try, the chat having left this agent session means it went.
        if (retry && isChatshiftError(e, 'ERR_UNKNOWN_CONVERSATION')) return;
        if (isChatshiftError(e, 'ERR_HTTP_STATUS') && e.details['status'] === 400)
          throw unavailable(ref, target, e);
        throw e;
      }
    },
    async setAvailability(a) {
      await post(
        undefined,
        (s) => `${s.agentSessionUrl}/availability${Q}`,
        { availability: { chat: availabilityWire[a] } },
        true,
      );
    },
    offers: () => offers(cfg),
    async accept(offer) {
      const s = await cfg.agentSession();
      const invalid = (what: string, errors: string[]) =>
        cfg.logger.warn(`legacy-chat: schema-invalid ${what} response`, {
          code: 'ERR_SCHEMA_INVALID',
          errors,
        });
      if (Date.parse(offer.expiresAt) < Date.now()) throw gone(offer, 'expired');
      const incoming = await readIncoming(s.client, s.agentSessionUrl, never, invalid);
      if (incoming === undefined || incoming.ringingCount === 0) throw gone(offer, 'nothing rings any more');
      let r;
      try {
        r = await acceptNext(s.client, incoming.acceptUrl, s.agentSessionUrl, invalid);
      } catch (e) {
        throw await refusal(e, s, undefined);
      }
      if (r.kind === 'gone') throw gone(offer, 'taken by another agent');
      if (r.kind === 'lost') {
        cfg.metrics.increment('accept.lost');
        throw new ChatshiftError(
          'ERR_OUTCOME_UNKNOWN',
          `legacy-chat: an accept answer was lost (${r.why}); not retried`,
          {
            details: { ...r.fields, offerId: offer.offerId },
          },
        );
      }
      cfg.adopt(r.key);
      return { conversationId: r.key };
    },
    // Legacy has no reject: a ringing chat not accepted returns to the queue when it expires.
    reject: () => Promise.resolve(),
    dispose: () => Promise.resolve(),
  };
}

/** Ringing chats as offers: one per newly ringing chat seen at each poll. */
function offers(cfg: LegacyActionsConfig): Observable<Offer> {
  return new Observable<Offer>((subscriber) => {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let seen = 0;
    let n = 0;
    const invalid = (what: string, errors: string[]) =>
      cfg.logger.warn(`legacy-chat: schema-invalid ${what} response`, { code: 'ERR_SCHEMA_INVALID', errors });
    const poll = async (): Promise<void> => {
      try {
        const s = await cfg.agentSession();
        const r = await readIncoming(s.client, s.agentSessionUrl, new AbortController().signal, invalid);
        const ringing = r?.ringingCount ?? seen;
        for (; seen < ringing && !stopped; seen++)
          subscriber.next({
            backend: 'legacy-chat',
            offerId: `incoming-${++n}`,
            expiresAt: new Date(Date.now() + cfg.offerTtlMs).toISOString(),
          });
        seen = Math.min(seen, ringing);
      } catch (e) {
        cfg.logger.warn('legacy-chat: reading incoming requests failed; trying again', {
          code: isChatshiftError(e) ? e.code : 'unknown',
        });
      }
      if (!stopped) timer = setTimeout(() => void poll(), cfg.pollIntervalMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  });
}

function lineOf(content: SendContent): Record<string, unknown> & { text: string; textType: string } {
  const line: Record<string, unknown> & { text: string; textType: string } =
    'rich' in content
      ? { '@type': 'line', text: content.fallbackText, textType: 'rich-content', json: content.rich }
      : { '@type': 'line', text: content.text, textType: content.format ?? 'plain' };
  if (content.audience === 'agents') line['subType'] = 'ONLY_TO_REP';
  return line;
}

interface ReadEvent {
  id: number;
  type: string;
  state?: string;
  source?: string;
  text?: string;
  textType?: string;
}

/** The events of a `GET {chat}/events` answer, leniently (one element or a list; `@`-prefixed or not). */
function eventsOf(body: unknown): ReadEvent[] {
  const block = (body as { events?: { event?: unknown } } | undefined)?.events?.event;
  const list = Array.isArray(block) ? block : block === undefined ? [] : [block];
  const out: ReadEvent[] = [];
  for (const raw of list as Array<Record<string, unknown>>) {
    if (typeof raw !== 'object' || raw === null) continue;
    const id = Number(raw['@id'] ?? raw['id']);
    const type = raw['@type'] ?? raw['type'];
    if (!Number.isSafeInteger(id) || typeof type !== 'string') continue;
    const e: ReadEvent = { id, type };
    for (const f of ['state', 'source', 'text', 'textType'] as const)
      if (typeof raw[f] === 'string') e[f] = raw[f];
    out.push(e);
  }
  return out;
}

function skillIds(body: unknown): string[] {
  const skill = (body as { transfer?: { skill?: unknown } } | undefined)?.transfer?.skill;
  const list = Array.isArray(skill) ? skill : skill === undefined ? [] : [skill];
  return (list as Array<{ id?: unknown }>).map((s) => String(s?.id));
}

function unavailable(ref: ConversationRef, target: TransferTarget, cause?: unknown): ChatshiftError {
  return new ChatshiftError(
    'ERR_TRANSFER_TARGET_UNAVAILABLE',
    'legacy-chat: the transfer target cannot take the chat',
    {
      cause,
      details: { conversationId: ref.conversationId, ...target },
    },
  );
}

function gone(offer: Offer, why: string): ChatshiftError {
  return new ChatshiftError('ERR_OFFER_GONE', `legacy-chat: the offer is gone (${why})`, {
    details: { offerId: offer.offerId },
  });
}
