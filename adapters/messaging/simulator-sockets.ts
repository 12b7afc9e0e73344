// The Messaging simulator's sockets: the handshake, the frame log, and every frame sent, where the
// switches and one-shot faults that act on frames apply.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer } from 'ws';
import type { FaultModel } from '../../src/runtime/fault-model.js';
import type { MessagingFault, MessagingSimulatorSwitches } from './simulator-switches.js';

/** One logged frame. */
export interface FrameLogEntry {
  direction: 'in' | 'out';
  connection: number;
  text: string;
}

/** A client request as the frame log recorded it. */
export interface MessagingRequestRecord {
  id: string;
  type: string;
  body: Record<string, unknown>;
  connection: number;
}

/** A conversation subscription of one socket. */
export interface Subscription {
  convState: Set<string>;
  agentIds?: string[];
  minLastUpdatedTime?: number;
  /** Conversations this subscriber has been sent as matching (a DELETE goes to them when they stop). */
  inFilter: Set<string>;
}

/** What the simulator does with an accepted `ws` socket (structural: its declarations need no @types/ws). */
export interface SimWebSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

/** One accepted socket. */
export interface SimClient {
  id: number;
  ws: SimWebSocket;
  /** The upgraded TCP socket, for a burst's raw batches. */
  socket: Socket;
  token: string;
  subscription?: Subscription;
  heldNotification?: string;
  /** Times of this socket's recent QueryMessages (for the `queryMessagesPerSecond` switch). */
  queryTimes?: number[];
}

export class SimSockets {
  readonly clients = new Set<SimClient>();
  readonly frames: FrameLogEntry[] = [];
  opened = 0;
  /** Frames received on a socket while one opened after it was open (see `framesOnSupersededSockets`). */
  supersededFrames = 0;
  private readonly stalled = new Set<Socket>();
  private nextClient = 1;

  private readonly wss = new WebSocketServer({ noServer: true, autoPong: false, perMessageDeflate: false });

  constructor(
    private readonly faults: FaultModel<MessagingFault, MessagingSimulatorSwitches>,
    private readonly logFrames: boolean,
  ) {}

  /** Answers an upgrade to `/ws_api/account/{accountId}/messaging/brand/{token}`. */
  upgrade(
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
    ctx: { accountId: string; knows(token: string): boolean; onMessage(c: SimClient, text: string): void },
  ): void {
    // An upgraded socket has no error listener of Node's: a client that resets a stalled or
    // refused handshake would otherwise be an uncaught ECONNRESET (cutover seed 2517508950).
    socket.on('error', () => socket.destroy());
    const m = /^\/ws_api\/account\/([^/]+)\/messaging\/brand\/([^/?]+)(?:\?.*)?$/.exec(req.url ?? '');
    const reject = (status: number, text: string): void => {
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (m === null || m[1] !== ctx.accountId) return reject(404, 'Not Found');
    const queued = this.faults.take((f) => 'handshake' in f);
    const h =
      queued !== undefined && 'handshake' in queued ? queued.handshake : this.faults.switches.handshake;
    if (h === 'stall') {
      this.stalled.add(socket);
      socket.on('close', () => this.stalled.delete(socket));
      return;
    }
    if (h === 401 || h === 404 || h === 502)
      return reject(h, h === 401 ? 'Unauthorized' : h === 404 ? 'Not Found' : 'Bad Gateway');
    const token = decodeURIComponent(m[2] ?? '');
    const known = ctx.knows(token);
    if (!known && this.faults.switches.unknownBearer === 'handshake-401') return reject(401, 'Unauthorized');
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: SimClient = { id: this.nextClient++, ws, socket, token };
      this.opened++;
      if (!known) {
        ws.close(4401, 'unauthorized');
        return;
      }
      this.clients.add(client);
      ws.on('close', () => this.clients.delete(client));
      ws.on('error', () => this.clients.delete(client));
      ws.on('ping', (data: Buffer) => {
        if (!this.faults.switches.silent) ws.pong(data);
      });
      ws.on('message', (data: Buffer) => {
        const text = data.toString('utf8');
        if (this.superseded(client)) this.supersededFrames++;
        if (this.logFrames) this.frames.push({ direction: 'in', connection: client.id, text });
        if (!this.faults.switches.silent) ctx.onMessage(client, text);
      });
    });
  }

  /** Whether a socket accepted after `client` is open. */
  private superseded(client: SimClient): boolean {
    for (const c of this.clients) if (c.id > client.id) return true;
    return false;
  }

  /** Sends a frame; `sent` runs only if it actually leaves (not silenced, socket still open after any delay). */
  send(client: SimClient, frame: unknown, sent?: () => void): void {
    this.sendRaw(client, JSON.stringify(frame), sent);
  }

  sendRaw(client: SimClient, text: string, sent?: () => void): void {
    const s = this.faults.switches;
    if (s.silent) return;
    const go = (): void => {
      if (client.ws.readyState !== client.ws.OPEN) return;
      if (this.logFrames) this.frames.push({ direction: 'out', connection: client.id, text });
      client.ws.send(text);
      sent?.();
    };
    if (s.delayMs > 0) setTimeout(go, s.delayMs);
    else go();
  }

  /**
   * Sends a live event record to the sockets `reaches` accepts (by default every socket), through
   * the notification faults.
   */
  liveEvent(record: Record<string, unknown>, reaches: (c: SimClient) => boolean = () => true): void {
    const text = JSON.stringify({
      kind: 'notification',
      type: '.ams.ms.OnlineEventDistribution',
      body: record,
    });
    const s = this.faults.switches;
    for (const c of this.clients) {
      if (!reaches(c)) continue;
      if (this.faults.take((f) => 'notification' in f) !== undefined) continue;
      if (s.reorderNotifications && c.heldNotification === undefined) {
        c.heldNotification = text;
        continue;
      }
      this.sendRaw(c, text);
      if (s.duplicateNotifications) this.sendRaw(c, text);
      if (c.heldNotification !== undefined) {
        const held = c.heldNotification;
        delete c.heldNotification;
        this.sendRaw(c, held);
      }
    }
  }

  notifyChanges(client: SimClient, subscriptionId: string, changes: unknown[]): void {
    this.send(client, {
      kind: 'notification',
      type: '.ams.aam.ExConversationChangeNotification',
      body: { subscriptionId, changes },
    });
  }

  /** Parsed client requests from the frame log, optionally of one type. */
  loggedRequests(type?: string): MessagingRequestRecord[] {
    const out: MessagingRequestRecord[] = [];
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

  /** Stops every socket, stalled handshakes included. */
  close(): void {
    for (const c of this.clients) c.ws.terminate();
    for (const s of this.stalled) s.destroy();
    this.wss.close();
  }
}
