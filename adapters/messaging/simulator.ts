import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { createHttpHandler } from './simulator-http.js';
import { SimModel, type SimConversation, type SimOriginator, type SimRole } from './simulator-model.js';
import { createFaults, type SimulatorFaults } from './simulator-faults.js';

export type { SimulatorFaults, SimRole };

/** Options of {@link MessagingSimulator.start}. */
export interface MessagingSimulatorOptions {
  /** Account id. Default `'123'`. */
  accountId?: string;
  /** Agent login user id; the agent's old-style id is `{accountId}.{agentUserId}`. Default `'77'`. */
  agentUserId?: string;
  /** Bearers accepted from the start. Default `['TOKEN-1']`. */
  tokens?: string[];
  /** Keep a frame log. Default true. */
  frameLog?: boolean;
}

/** One logged frame. */
export interface FrameLogEntry {
  direction: 'in' | 'out';
  connection: number;
  text: string;
}

interface Subscription {
  convState: Set<string>;
  agentIds?: string[];
  minLastUpdatedTime?: number;
  inFilter: Set<string>;
}

interface Client {
  id: number;
  ws: WebSocket;
  /** The upgraded TCP socket, for {@link MessagingSimulator.burst}'s pre-framed batches. */
  socket: Socket;
  token: string;
  subscription?: Subscription;
  heldNotification?: string;
}

/**
 * A loopback Messaging agent server: a real `ws` server on 127.0.0.1 (port 0) with CSDS, login and
 * refresh beside it. It speaks the `.ams.*` dialect and the public names, plays scripted
 * conversations, injects faults ({@link MessagingSimulator.faults}) and logs every frame.
 */
export class MessagingSimulator {
  /** `127.0.0.1:{port}`: pass as `domain`. */
  readonly domain: string;
  readonly accountId: string;
  /** The agent's old-style id, `{accountId}.{agentUserId}`: pass as `agentId`. */
  readonly agentId: string;
  /** The first accepted bearer. */
  readonly token: string;
  /** Fault switches; change them at any time. */
  readonly faults: SimulatorFaults = createFaults();
  /** Every frame in and out (when enabled). */
  readonly frames: FrameLogEntry[] = [];
  /** HTTP requests served (CSDS, login, refresh). */
  readonly httpLog: Array<{ method: string; path: string; status: number }> = [];
  /** Number of sockets accepted so far. */
  connectionsOpened = 0;
  /** Number of conversation subscriptions answered so far. */
  subscriptionsAnswered = 0;

  private readonly model = new SimModel();
  private readonly clients = new Set<Client>();
  private readonly stalled = new Set<Socket>();
  private readonly tokens: Set<string>;
  private nextToken = 2;
  private nextClient = 1;
  private nextSub = 1;

  private constructor(
    private readonly server: Server,
    private readonly wss: WebSocketServer,
    port: number,
    o: Required<MessagingSimulatorOptions>,
  ) {
    this.domain = `127.0.0.1:${port}`;
    this.accountId = o.accountId;
    this.agentId = `${o.accountId}.${o.agentUserId}`;
    this.tokens = new Set(o.tokens);
    this.token = o.tokens[0] ?? 'TOKEN-1';
    this.logFrames = o.frameLog;
  }
  private readonly logFrames: boolean;

  /** Starts the simulator on 127.0.0.1 with an ephemeral port. */
  static async start(options: MessagingSimulatorOptions = {}): Promise<MessagingSimulator> {
    const o: Required<MessagingSimulatorOptions> = {
      accountId: options.accountId ?? '123',
      agentUserId: options.agentUserId ?? '77',
      tokens: options.tokens ?? ['TOKEN-1'],
      frameLog: options.frameLog ?? true,
    };
    // eslint-disable-next-line prefer-const -- assigned once the port is known; handlers read it later
    let sim: MessagingSimulator | undefined;
    const server = createServer(
      createHttpHandler({
        accountId: o.accountId,
        agentUserId: o.agentUserId,
        domain: () => sim?.domain ?? '',
        issueToken: () => sim?.issueToken() ?? '',
        log: (e) => sim?.httpLog.push(e),
      }),
    );
    const wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    sim = new MessagingSimulator(server, wss, port, o);
    server.on('upgrade', (req, socket: Socket, head) => sim?.upgrade(req.url ?? '', socket, head, req));
    return sim;
  }

  // ---- tokens ----------------------------------------------------------------------------

  /** Issues a new valid bearer (login does this too). */
  issueToken(): string {
    const t = `TOKEN-${this.nextToken++}`;
    this.tokens.add(t);
    return t;
  }

  /** Revokes a bearer and closes its sockets with `closeCode` (default 4401). */
  revokeToken(token: string, closeCode = 4401): void {
    this.tokens.delete(token);
    for (const c of this.clients) if (c.token === token) c.ws.close(closeCode, 'token revoked');
  }

  // ---- scripting -------------------------------------------------------------------------

  /** Opens a conversation; with `agentId` it is assigned (state open), else waiting. Returns its id. */
  openConversation(o: { id?: string; consumerId?: string; agentId?: string } = {}): string {
    const conv = this.model.open(o.id, o.consumerId ?? 'cons-1', o.agentId);
    this.publishChange(conv);
    return conv.id;
  }

  /** A consumer text message; returns its sequence. */
  consumerMessage(conversationId: string, text: string): number {
    return this.sequenced(conversationId, this.consumer(conversationId), {
      type: 'ContentEvent',
      contentType: 'text/plain',
      message: text,
    });
  }

  /** An agent text message (default agent: the simulator's agent); returns its sequence. */
  agentMessage(
    conversationId: string,
    text: string,
    agentId = this.agentId,
    contentType: 'text/plain' | 'text/html' = 'text/plain',
  ): number {
    return this.sequenced(
      conversationId,
      { id: agentId, role: 'ASSIGNED_AGENT' },
      { type: 'ContentEvent', contentType, message: text },
    );
  }

  /** A RichContentEvent (structured content); returns its sequence. */
  richContent(
    conversationId: string,
    content: Record<string, unknown>,
    from: 'agent' | 'consumer' = 'agent',
  ): number {
    return this.sequenced(conversationId, this.who(conversationId, from), {
      type: 'RichContentEvent',
      content,
    });
  }

  /** A ChatStateEvent (unsequenced): `COMPOSING` is typing, anything else not. */
  typing(conversationId: string, from: 'agent' | 'consumer' = 'consumer', chatState = 'COMPOSING'): void {
    const conv = this.model.get(conversationId);
    const r = this.model.record(
      conv,
      this.who(conversationId, from),
      { type: 'ChatStateEvent', chatState },
      false,
    );
    this.liveEvent(r);
  }

  /** An AcceptStatusEvent (consumes a sequence); returns its sequence. */
  receipt(
    conversationId: string,
    status: 'ACCEPT' | 'READ' | 'ACCESS' | 'NACK',
    sequenceList: number[],
    from: 'agent' | 'consumer' = 'consumer',
  ): number {
    return this.sequenced(conversationId, this.who(conversationId, from), {
      type: 'AcceptStatusEvent',
      status,
      sequenceList,
    });
  }

  /** A participant joins (`ASSIGNED_AGENT` assigns the conversation). */
  join(conversationId: string, role: SimRole, userId: string): void {
    const conv = this.model.get(conversationId);
    if (!conv.participants[role].includes(userId)) conv.participants[role].push(userId);
    this.publishChange(conv);
  }

  /** A participant leaves. */
  leave(conversationId: string, role: SimRole, userId: string): void {
    const conv = this.model.get(conversationId);
    conv.participants[role] = conv.participants[role].filter((id) => id !== userId);
    this.publishChange(conv);
  }

  /** Closes a conversation (UPSERT CLOSE for `CLOSE` subscribers, DELETE for the others). */
  closeConversation(conversationId: string): void {
    const conv = this.model.get(conversationId);
    conv.state = 'CLOSE';
    conv.endTs = this.model.now();
    this.publishChange(conv);
  }

  /** Consumes `n` sequences nobody sees (a private message): a hole the server confirms empty. */
  skipSequences(conversationId: string, n = 1): void {
    this.model.get(conversationId).seq += n;
  }

  /** Conversation ids known to the simulator. */
  get conversationIds(): string[] {
    return [...this.model.conversations.keys()];
  }

  /** Sequenced records of a conversation, as QueryMessages would return them. */
  history(conversationId: string): Array<Record<string, unknown>> {
    return this.model.history(this.model.get(conversationId), 0, false);
  }

  /**
   * A burst of `perConversation` text messages in each of `conversationIds`, interleaved, frames
   * pre-built and sent in batches of `batchSize` (default 500) per event-loop turn. `onBatch` runs
   * after each batch with the number of frames sent so far (e.g. to drop the socket mid-burst).
   *
   * With `preframed: true` (for benchmarks) every frame is also encoded as a WebSocket frame up
   * front and each batch goes out as one socket write, so the sender costs next to nothing per
   * message (a `ws.send` per message tops out near 185k msg/s); fault switches and the frame log
   * do not apply to those frames. `onStart` runs just before the first batch is written.
   */
  async burst(o: {
    conversationIds: string[];
    perConversation: number;
    batchSize?: number;
    onBatch?: (sent: number) => void;
    preframed?: boolean;
    onStart?: () => void;
  }): Promise<void> {
    const convs = o.conversationIds.map((id) => this.model.get(id));
    const items: Array<{
      conv: SimConversation;
      record: Record<string, unknown> & { sequence: number };
      text: string;
    }> = [];
    for (let i = 0; i < o.perConversation; i++) {
      for (const conv of convs) {
        const from = { id: conv.participants.CONSUMER[0] ?? 'cons-1', role: 'CONSUMER' as const };
        const r = this.model.record(
          conv,
          from,
          { type: 'ContentEvent', contentType: 'text/plain', message: `m${i}` },
          true,
        ) as Record<string, unknown> & { sequence: number };
        conv.records.pop();
        items.push({
          conv,
          record: r,
          text: JSON.stringify({ kind: 'notification', type: '.ams.ms.OnlineEventDistribution', body: r }),
        });
      }
    }
    const batch = o.batchSize ?? 500;
    const chunks: Buffer[] = [];
    if (o.preframed === true)
      for (let i = 0; i < items.length; i += batch)
        chunks.push(Buffer.concat(items.slice(i, i + batch).map((it) => textFrame(it.text))));
    o.onStart?.();
    for (let i = 0; i < items.length; i += batch) {
      const chunk = chunks[i / batch];
      for (const it of items.slice(i, i + batch)) {
        it.conv.records.push(it.record);
        if (chunk === undefined) for (const c of this.clients) this.sendRaw(c, it.text);
      }
      if (chunk !== undefined)
        for (const c of this.clients) if (c.ws.readyState === c.ws.OPEN) c.socket.write(chunk);
      o.onBatch?.(Math.min(items.length, i + batch));
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  // ---- faults and raw frames -------------------------------------------------------------

  /** Sets every fault switch back to its default (a healthy server). Open sockets stay open. */
  clearFaults(): void {
    Object.assign(this.faults, createFaults());
  }

  /** Destroys every socket without a close frame (a network drop; the client sees 1006). */
  dropConnections(): void {
    for (const c of this.clients) c.ws.terminate();
  }

  /** Closes every socket with `code` (4401, 4407, 1011, 1000, …). */
  closeConnections(code: number, reason = ''): void {
    for (const c of this.clients) c.ws.close(code, reason);
  }

  /** Sends raw text to every socket (invalid frames, unknown types, oversize frames). */
  sendRawToAll(text: string): void {
    for (const c of this.clients) this.sendRaw(c, text);
  }

  /** Number of open sockets. */
  get connectionCount(): number {
    return this.clients.size;
  }

  /** Parsed client requests from the frame log, optionally of one type. */
  requests(
    type?: string,
  ): Array<{ id: string; type: string; body: Record<string, unknown>; connection: number }> {
    const out: Array<{ id: string; type: string; body: Record<string, unknown>; connection: number }> = [];
    for (const f of this.frames) {
      if (f.direction !== 'in') continue;
      try {
        const m = JSON.parse(f.text) as {
          kind?: string;
          id: string;
          type: string;
          body?: Record<string, unknown>;
        };
        if (m.kind === 'req' && (type === undefined || m.type === type))
          out.push({ id: m.id, type: m.type, body: m.body ?? {}, connection: f.connection });
      } catch {
        // not JSON
      }
    }
    return out;
  }

  /** Stops the server and every socket. */
  async close(): Promise<void> {
    for (const c of this.clients) c.ws.terminate();
    for (const s of this.stalled) s.destroy();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- internals -------------------------------------------------------------------------

  private upgrade(url: string, socket: Socket, head: Buffer, req: IncomingMessage): void {
    const m = /^\/ws_api\/account\/([^/]+)\/messaging\/brand\/([^/?]+)(?:\?.*)?$/.exec(url);
    const reject = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (m === null || m[1] !== this.accountId) return reject(404, 'Not Found');
    const h = this.faults.handshake;
    if (h === 'stall') {
      this.stalled.add(socket);
      socket.on('close', () => this.stalled.delete(socket));
      return;
    }
    if (h === 401 || h === 502) return reject(h, h === 401 ? 'Unauthorized' : 'Bad Gateway');
    const token = decodeURIComponent(m[2] ?? '');
    const known = this.tokens.has(token);
    if (!known && this.faults.unknownBearer === 'handshake-401') return reject(401, 'Unauthorized');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { id: this.nextClient++, ws, socket, token };
      this.connectionsOpened++;
      if (!known) {
        ws.close(4401, 'unauthorized');
        return;
      }
      this.clients.add(client);
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => this.clients.delete(client));
      ws.on('ping', (data: Buffer) => {
        if (!this.faults.silent) ws.pong(data);
      });
      ws.on('message', (data: Buffer) => this.onRequest(client, data.toString('utf8')));
    });
  }

  private onRequest(client: Client, text: string): void {
    if (this.logFrames) this.frames.push({ direction: 'in', connection: client.id, text });
    if (this.faults.silent) return;
    let m: { kind?: unknown; id?: unknown; type?: unknown; body?: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return;
    }
    if (m.kind !== 'req' || typeof m.id !== 'string' || typeof m.type !== 'string') return;
    const body = (typeof m.body === 'object' && m.body !== null ? m.body : {}) as Record<string, unknown>;
    const reply = (code: number, type: string, b: unknown): void =>
      this.send(client, { kind: 'resp', reqId: m.id, code, type, body: b });
    const type = m.type.startsWith('.ams.') ? m.type.slice(5) : m.type.replace(/^\./, '');
    switch (type) {
      case 'GetClock':
        return reply(200, '.GetClock$Response', { currentTime: this.model.now() });
      case 'aam.SubscribeExConversations':
      case 'cqm.SubscribeExConversations':
        return this.subscribe(client, body, (id) =>
          reply(200, '.ams.GenericSubscribe$Response', { subscriptionId: id }),
        );
      case 'aam.UnsubscribeExConversations':
      case 'cqm.UnsubscribeExConversations':
        delete client.subscription;
        return reply(200, '.ams.GenericSubscribe$Response', {});
      case 'ms.QueryMessages':
      case 'ms.SubscribeMessagingEvents': {
        const conv = this.model.conversations.get(String(body['dialogId']));
        if (conv === undefined) return reply(404, '.ams.ms.QueryMessages$Response', 'unknown dialog');
        const inclusive = this.faults.queryMessagesBound === 'inclusive';
        const after = Number(
          inclusive ? (body['fromSeq'] ?? 0) : (body['newerThanSequence'] ?? body['fromSeq'] ?? 0),
        );
        return reply(200, '.ams.ms.QueryMessages$Response', this.model.history(conv, after, inclusive));
      }
      case 'ms.PublishEvent':
        return this.publish(body, reply);
      case 'routing.SetAgentState':
        return reply(202, '.ReqBody$StringResp', 'Agent state updated successfully');
      case 'routing.UpdateRingState':
        return reply(202, '.ReqBody$StringResp', 'Ring state updated successfully');
      case 'routing.SubscribeRoutingTasks': {
        const id = `sub-rt-${this.nextSub++}`;
        reply(200, '.ams.GenericSubscribe$Response', { subscriptionId: id });
        return this.send(client, {
          kind: 'notification',
          type: '.ams.routing.RoutingTaskNotification',
          body: { subscriptionId: id, changes: [] },
        });
      }
      case 'cm.UpdateConversationField':
        return this.updateField(body, reply);
      default:
        return reply(400, '.ReqBody$StringResp', `unknown request type ${m.type}`);
    }
  }

  private subscribe(client: Client, body: Record<string, unknown>, answer: (id: string) => void): void {
    const id = `sub-conv-${this.nextSub++}`;
    const sub: Subscription = {
      convState: new Set(Array.isArray(body['convState']) ? (body['convState'] as string[]) : ['OPEN']),
      inFilter: new Set(),
    };
    if (Array.isArray(body['agentIds'])) sub.agentIds = body['agentIds'] as string[];
    if (typeof body['minLastUpdatedTime'] === 'number') sub.minLastUpdatedTime = body['minLastUpdatedTime'];
    client.subscription = sub;
    this.subscriptionsAnswered++;
    answer(id);
    const changes: Array<Record<string, unknown>> = [];
    for (const conv of this.model.conversations.values()) {
      if (changes.length >= 1000) break;
      if (!this.matches(sub, conv)) continue;
      sub.inFilter.add(conv.id);
      changes.push(this.model.change(conv, 'UPSERT'));
    }
    if (this.faults.emptyChangesAfterSubscribe) this.notifyChanges(client, id, []);
    if (changes.length > 0) this.notifyChanges(client, id, changes);
  }

  private matches(sub: Subscription, conv: SimConversation): boolean {
    if (!sub.convState.has(conv.state)) return false;
    if (sub.minLastUpdatedTime !== undefined && conv.metaTs < sub.minLastUpdatedTime) return false;
    if (sub.agentIds === undefined) return true;
    const all = [...conv.participants.ASSIGNED_AGENT, ...conv.participants.MANAGER];
    return sub.agentIds.some((a) => all.includes(a));
  }

  private publishChange(conv: SimConversation): void {
    this.model.touch(conv);
    for (const c of this.clients) {
      const sub = c.subscription;
      if (sub === undefined) continue;
      if (this.matches(sub, conv)) {
        sub.inFilter.add(conv.id);
        const change = this.model.change(conv, 'UPSERT');
        this.notifyChanges(c, 'sub', [change]);
        if (this.faults.staleConversationChanges) {
          // The same change as it was a second earlier: OPEN, nobody assigned.
          const result = change['result'] as { conversationDetails: object };
          const details = { ...result.conversationDetails, metaDataLastUpdateTs: conv.metaTs - 1000 };
          this.notifyChanges(c, 'sub', [
            {
              ...change,
              result: { ...result, conversationDetails: { ...details, state: 'OPEN', participants: {} } },
            },
          ]);
        }
      } else if (sub.inFilter.delete(conv.id)) {
        this.notifyChanges(c, 'sub', [this.model.change(conv, 'DELETE')]);
      }
    }
  }

  private notifyChanges(client: Client, subscriptionId: string, changes: unknown[]): void {
    this.send(client, {
      kind: 'notification',
      type: '.ams.aam.ExConversationChangeNotification',
      body: { subscriptionId, changes },
    });
  }

  private publish(
    body: Record<string, unknown>,
    reply: (code: number, type: string, b: unknown) => void,
  ): void {
    const conv = this.model.conversations.get(String(body['dialogId']));
    const event = body['event'] as Record<string, unknown> | undefined;
    if (conv === undefined || event === undefined || typeof event['type'] !== 'string')
      return reply(400, '.ams.ms.PublishEvent$Response', 'bad request');
    const from: SimOriginator = {
      id: this.agentId,
      role: conv.participants.MANAGER.includes(this.agentId) ? 'MANAGER' : 'ASSIGNED_AGENT',
    };
    const sequenced = event['type'] !== 'ChatStateEvent';
    const r = this.model.record(conv, from, event, sequenced);
    reply(200, '.ams.ms.PublishEvent$Response', { sequence: sequenced ? r['sequence'] : 0 });
    this.liveEvent(r);
  }

  private updateField(
    body: Record<string, unknown>,
    reply: (code: number, type: string, b: unknown) => void,
  ): void {
    const conv = this.model.conversations.get(String(body['conversationId']));
    const fields = body['conversationField'];
    if (conv === undefined || !Array.isArray(fields)) return reply(400, '.ReqBody$StringResp', 'bad request');
    for (const f of fields as Array<Record<string, unknown>>) {
      if (f['field'] === 'ConversationStateField' && f['conversationState'] === 'CLOSE') {
        conv.state = 'CLOSE';
        conv.endTs = this.model.now();
      } else if (f['field'] === 'ParticipantsChange') {
        const role = f['role'] as SimRole;
        const userId = typeof f['userId'] === 'string' ? f['userId'] : this.agentId;
        if (!(role in conv.participants)) return reply(400, '.ReqBody$StringResp', 'bad role');
        if (f['type'] === 'ADD' && !conv.participants[role].includes(userId))
          conv.participants[role].push(userId);
        if (f['type'] === 'REMOVE')
          conv.participants[role] = conv.participants[role].filter((id) => id !== userId);
      }
    }
    reply(200, '.ReqBody$StringResp', 'OK');
    this.publishChange(conv);
  }

  private sequenced(conversationId: string, from: SimOriginator, event: Record<string, unknown>): number {
    const r = this.model.record(this.model.get(conversationId), from, event, true);
    this.liveEvent(r);
    return r['sequence'] as number;
  }

  private liveEvent(record: Record<string, unknown>): void {
    const text = JSON.stringify({
      kind: 'notification',
      type: '.ams.ms.OnlineEventDistribution',
      body: record,
    });
    for (const c of this.clients) {
      if (this.faults.dropNotifications > 0) {
        this.faults.dropNotifications--;
        continue;
      }
      if (this.faults.reorderNotifications && c.heldNotification === undefined) {
        c.heldNotification = text;
        continue;
      }
      this.sendRaw(c, text);
      if (this.faults.duplicateNotifications) this.sendRaw(c, text);
      if (c.heldNotification !== undefined) {
        const held = c.heldNotification;
        delete c.heldNotification;
        this.sendRaw(c, held);
      }
    }
  }

  private consumer(conversationId: string): SimOriginator {
    return { id: this.model.get(conversationId).participants.CONSUMER[0] ?? 'cons-1', role: 'CONSUMER' };
  }

  private who(conversationId: string, from: 'agent' | 'consumer'): SimOriginator {
    return from === 'consumer'
      ? this.consumer(conversationId)
      : {
          id: this.model.get(conversationId).participants.ASSIGNED_AGENT[0] ?? this.agentId,
          role: 'ASSIGNED_AGENT',
        };
  }

  private send(client: Client, frame: unknown): void {
    this.sendRaw(client, JSON.stringify(frame));
  }

  private sendRaw(client: Client, text: string): void {
    if (this.faults.silent) return;
    const go = (): void => {
      if (client.ws.readyState !== client.ws.OPEN) return;
      if (this.logFrames) this.frames.push({ direction: 'out', connection: client.id, text });
      client.ws.send(text);
    };
    if (this.faults.delayMs > 0) setTimeout(go, this.faults.delayMs);
    else go();
  }
}

/** One unmasked, final WebSocket text frame (RFC 6455 §5.2), as a server sends it. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x81;
  if (n < 126) head[1] = n;
  else if (n < 65536) {
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([head, payload]);
}
