// The requests a Messaging client sends over the socket, answered from the simulator's model.
import type { SimConversation, SimModel, SimOriginator, SimRole } from './simulator-model.js';
import type { SimClient, SimSockets } from './simulator-sockets.js';
import type { SimSubscriptions } from './simulator-subscriptions.js';
import type { MessagingSimulatorSwitches } from './simulator-switches.js';

/** What the request handler needs from the simulator. */
export interface RequestContext {
  readonly model: SimModel;
  readonly sockets: SimSockets;
  readonly subscriptions: SimSubscriptions;
  readonly switches: () => Readonly<MessagingSimulatorSwitches>;
  /** The simulator's agent (old-style id): who publishes and updates. */
  readonly agentId: string;
  /** Takes a queued `{ request, code: 429 }` fault matching this request type, if any. */
  takeRequestFault(type: string): { request: string; code: 429; retryAfter?: number } | undefined;
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
  const reply: Reply = (code, type, b, sent) =>
    ctx.sockets.send(client, { kind: 'resp', reqId: m.id, code, type, body: b }, sent);
  const type = m.type.startsWith('.ams.') ? m.type.slice(5) : m.type.replace(/^\./, '');
  const limited = ctx.takeRequestFault(type);
  if (limited !== undefined)
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
      return publish(ctx, body, Array.isArray(m.metadata) ? (m.metadata as unknown[]) : undefined, reply);
    case 'routing.SetAgentState':
      return reply(202, '.ReqBody$StringResp', 'Agent state updated successfully');
    case 'routing.UpdateRingState':
      return reply(202, '.ReqBody$StringResp', 'Ring state updated successfully');
    case 'routing.SubscribeRoutingTasks': {
      const id = ctx.subscriptions.nextId('rt');
      reply(200, '.ams.GenericSubscribe$Response', { subscriptionId: id });
      return ctx.sockets.send(client, {
        kind: 'notification',
        type: '.ams.routing.RoutingTaskNotification',
        body: { subscriptionId: id, changes: [] },
      });
    }
    case 'cm.UpdateConversationField':
      return updateField(ctx, body, reply);
    default:
      ctx.unexpected(`request ${m.type}`);
      return reply(400, '.ReqBody$StringResp', `unknown request type ${m.type}`);
  }
}

function publish(
  ctx: RequestContext,
  body: Record<string, unknown>,
  metadata: unknown[] | undefined,
  reply: Reply,
): void {
  const h = ctx.model.holder(String(body['dialogId']));
  const event = body['event'] as Record<string, unknown> | undefined;
  if (h === undefined || event === undefined || typeof event['type'] !== 'string')
    return reply(400, '.ams.ms.PublishEvent$Response', 'bad request');
  const conv = h.conv;
  const from: SimOriginator = {
    id: ctx.agentId,
    role: conv.participants.MANAGER.includes(ctx.agentId) ? 'MANAGER' : 'ASSIGNED_AGENT',
  };
  const sequenced = event['type'] !== 'ChatStateEvent';
  const audience = typeof body['messageAudience'] === 'string' ? body['messageAudience'] : undefined;
  const r = ctx.model.record(
    conv,
    from,
    event,
    sequenced,
    {
      ...(audience === undefined ? {} : { messageAudience: audience }),
      ...(metadata === undefined ? {} : { metadata }),
    },
    h.dialog,
  );
  reply(200, '.ams.ms.PublishEvent$Response', { sequence: sequenced ? r['sequence'] : 0 });
  ctx.sockets.liveEvent(r, liveReach(ctx.model, ctx.switches(), conv, ctx.agentId));
}

function updateField(ctx: RequestContext, body: Record<string, unknown>, reply: Reply): void {
  const conv = ctx.model.conversations.get(String(body['conversationId']));
  const fields = body['conversationField'];
  if (conv === undefined || !Array.isArray(fields)) return reply(400, '.ReqBody$StringResp', 'bad request');
  for (const f of fields as Array<Record<string, unknown>>) {
    if (f['field'] === 'ConversationStateField' && f['conversationState'] === 'CLOSE') {
      conv.state = 'CLOSE';
      conv.endTs = ctx.model.now();
    } else if (f['field'] === 'DialogChange') {
      // M1: closing the MAIN dialog lets a POST_SURVEY run (ADD); the conversation closes after its last dialog.
      const dialog = (f['dialog'] ?? {}) as Record<string, unknown>;
      if (f['type'] === 'ADD') ctx.model.openDialog(conv, String(dialog['dialogType'] ?? 'POST_SURVEY'));
      else if (f['type'] === 'UPDATE' && dialog['state'] === 'CLOSE') {
        const h = ctx.model.holder(String(dialog['dialogId']));
        if (h === undefined || h.conv !== conv) return reply(400, '.ReqBody$StringResp', 'unknown dialog');
        if (h.dialog === undefined) conv.mainState = 'CLOSE';
        else h.dialog.state = 'CLOSE';
        if (conv.mainState === 'CLOSE' && conv.dialogs.every((d) => d.state === 'CLOSE')) {
          conv.state = 'CLOSE';
          conv.endTs = ctx.model.now();
        }
      }
    } else if (f['field'] === 'ParticipantsChange') {
      const role = f['role'] as SimRole;
      const userId = typeof f['userId'] === 'string' ? f['userId'] : ctx.agentId;
      if (!(role in conv.participants)) return reply(400, '.ReqBody$StringResp', 'bad role');
      if (f['type'] === 'ADD' && !conv.participants[role].includes(userId))
        conv.participants[role].push(userId);
      if (f['type'] === 'REMOVE')
        conv.participants[role] = conv.participants[role].filter((id) => id !== userId);
    }
  }
  reply(200, '.ReqBody$StringResp', 'OK');
  ctx.subscriptions.publishChange(conv);
}
