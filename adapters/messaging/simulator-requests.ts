// The requests a Messaging client sends over the socket, answered from the simulator's model.
import type { SimConversation, SimModel } from './simulator-model.js';
import type { SimProfiles } from './simulator-profiles.js';
import type { SimClient, SimSockets } from './simulator-sockets.js';
import type { SimSubscriptions } from './simulator-subscriptions.js';
import type { MessagingFault, MessagingSimulatorSwitches } from './simulator-switches.js';
import type { SimWrites } from './simulator-writes.js';

/** What the request handler needs from the simulator. */
export interface RequestContext {
  readonly model: SimModel;
  readonly sockets: SimSockets;
  readonly subscriptions: SimSubscriptions;
  readonly switches: () => Readonly<MessagingSimulatorSwitches>;
  /** The simulator's agent (old-style id): who publishes and updates. */
  readonly agentId: string;
  /** Takes a queued request fault (429, commit-then-drop) matching this request type, if any. */
  takeRequestFault(type: string): Extract<MessagingFault, { request: string }> | undefined;
  /** The write paths (simulator-writes.ts). */
  readonly writes: SimWrites;
  /** Agent profiles (GetUserProfile). */
  readonly profiles: SimProfiles;
  /** Notes a frame the simulator does not serve (not JSON, not a request, an unknown type). */
  unexpected(what: string): void;
}

/**
 * Which sockets a conversation's live events reach: in production only those of an agent taking
 * part in it (every socket here is the simulator's agent); under `liveEventsTo: 'every-socket'`, all.
 */
export function liveReach(
  model: SimModel,
  switches: Readonly<MessagingSimulatorSwitches>,
  conv: SimConversation,
  agentId: string,
): (c: SimClient) => boolean {
  const reaches = switches.liveEventsTo === 'every-socket' || model.participates(conv, agentId);
  return () => reaches;
}

/** Whether a QueryMessages on this socket is beyond the `queryMessagesPerSecond` switch. */
function overQueryRate(client: SimClient, perSecond: number): boolean {
  if (perSecond <= 0) return false;
  const now = Date.now();
  const times = (client.queryTimes ??= []).filter((t) => t > now - 1000);
  client.queryTimes = times;
  if (times.length >= perSecond) return true;
  times.push(now);
  return false;
}

type Reply = (code: number, type: string, body: unknown, sent?: () => void) => void;

/** Answers one request frame (not JSON or not a request: ignored). */
export function handleRequest(ctx: RequestContext, client: SimClient, text: string): void {
  let m: { kind?: unknown; id?: unknown; type?: unknown; body?: unknown; metadata?: unknown };
  try {
    m = JSON.parse(text) as typeof m;
  } catch {
    return ctx.unexpected(`a frame that is not JSON (${text.length} chars)`);
  }
  if (m.kind !== 'req' || typeof m.id !== 'string' || typeof m.type !== 'string')
    return ctx.unexpected(`a frame that is not a request (kind ${String(m.kind)})`);
  const body = (typeof m.body === 'object' && m.body !== null ? m.body : {}) as Record<string, unknown>;
  const type = m.type.startsWith('.ams.') ? m.type.slice(5) : m.type.replace(/^\./, '');
  const limited = ctx.takeRequestFault(type);
  const answer: Reply = (code, type, b, sent) =>
    ctx.sockets.send(client, { kind: 'resp', reqId: m.id, code, type, body: b }, sent);
  // Commit-then-drop: the request is applied, then the socket is cut (no answer) or the answer is late.
  const drop = limited !== undefined && 'commitThenDrop' in limited ? limited : undefined;
  const reply: Reply =
    drop === undefined
      ? answer
      : drop.commitThenDrop === 'close'
        ? () => client.ws.terminate()
        : // Unref: a held answer must not keep a test process alive after the simulator closed.
          (...args) => void setTimeout(() => answer(...args), drop.delayMs ?? 60_000).unref();
  if (limited !== undefined && 'code' in limited)
    return reply(
      429,
      '.ReqBody$StringResp',
      limited.retryAfter === undefined ? 'Too many requests' : { retryAfter: limited.retryAfter },
    );
  if (type === 'ms.QueryMessages' && overQueryRate(client, ctx.switches().queryMessagesPerSecond))
    return reply(429, '.ReqBody$StringResp', 'Too many requests');
  switch (type) {
    case 'GetClock':
      return reply(200, '.GetClock$Response', { currentTime: ctx.model.now() });
    case 'aam.SubscribeExConversations':
    case 'cqm.SubscribeExConversations':
      return ctx.subscriptions.subscribe(client, body, (id, sent) =>
        reply(200, '.ams.GenericSubscribe$Response', { subscriptionId: id }, sent),
      );
    case 'aam.UnsubscribeExConversations':
    case 'cqm.UnsubscribeExConversations':
      delete client.subscription;
      return reply(200, '.ams.GenericSubscribe$Response', {});
    case 'ms.QueryMessages':
    case 'ms.SubscribeMessagingEvents': {
      const h = ctx.model.holder(String(body['dialogId']));
      if (h === undefined) return reply(404, '.ams.ms.QueryMessages$Response', 'unknown dialog');
      const inclusive = ctx.switches().queryMessagesBound === 'inclusive';
      const after = Number(
        inclusive ? (body['fromSeq'] ?? 0) : (body['newerThanSequence'] ?? body['fromSeq'] ?? 0),
      );
      return reply(
        200,
        '.ams.ms.QueryMessages$Response',
        ctx.model.history(h.dialog ?? h.conv, after, inclusive),
      );
    }
    case 'ms.PublishEvent':
      return ctx.writes.publish(
        body,
        Array.isArray(m.metadata) ? (m.metadata as unknown[]) : undefined,
        reply,
      );
    case 'routing.SetAgentState':
      return ctx.writes.setAgentState(body, reply);
    case 'routing.UpdateRingState':
      return ctx.writes.updateRing(body, reply);
    case 'routing.SubscribeRoutingTasks':
      return ctx.writes.subscribeRouting(client, reply);
    case 'cm.UpdateConversationField':
      return ctx.writes.updateField(body, reply);
    case 'userprofile.GetUserProfile':
      return ctx.profiles.answer(body, reply, ctx.unexpected);
    default:
      ctx.unexpected(`request ${m.type}`);
      return reply(400, '.ReqBody$StringResp', `unknown request type ${m.type}`);
  }
}
