import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  renderChat,
  renderEvents,
  renderInfo,
  type RenderOptions,
  type SimChat,
  type SimEvent,
} from './simulator-chats.js';
import { ChatScript, type OpenChatOptions, type SimAgent } from './simulator-script.js';

/** Behaviour the protocol does not document (protocol page §4.3); each is a switch. */
export interface LegacyChatSimulatorSwitches extends RenderOptions {
  /** How `fromEventIds` is read: `inclusive` returns id >= N, `exclusive` id > N. Default `inclusive`. */
  fromEventIdsSemantics: 'inclusive' | 'exclusive';
  /** A key the agent session does not know: left out, an `error` element, or the whole request fails. Default `omit`. */
  unknownChatKey: 'omit' | 'error-element' | '400' | '404';
  /** An ended chat asked for again: returned (state ended), left out, or an `error` element. Default `return`. */
  endedChatKey: 'return' | 'omit' | 'error-element';
  /** `fromEventIds` shorter or longer than `chatSessionKeys`: missing ids mean all events, or 400. Default `all-events`. */
  listLengthMismatch: 'all-events' | '400';
  /** Most keys one multi-chat request may carry before it fails with 400. Default Infinity. */
  maxChatKeys: number;
  /** Order of `chats.chat` in the answer. Default `request`. */
  chatOrder: 'request' | 'reversed';
  /** What a rejected bearer gets: the plain-text `oauth_problem` 401, a JSON 401, or 404. Default `oauth-text`. */
  expiredAgentSession: 'oauth-text' | 'json' | '404';
}

/** A one-shot misbehaviour, applied to the next matching request(s). */
export interface LegacyChatFault {
  /** Which requests it hits. Default `multichat`. */
  route?: 'multichat' | 'incomingRequests' | 'any';
  /** Answer with this status (body from `body`, default empty). */
  status?: number;
  /** `Retry-After` header value. */
  retryAfter?: string;
  body?: string;
  contentType?: string;
  /** Wait this long before answering (ms). */
  delayMs?: number;
  /** Destroy the connection instead of answering. */
  reset?: boolean;
  /** Never answer (until the client gives up or the simulator closes). */
  hang?: boolean;
  /** Answer 200 with a body that is not JSON. */
  malformed?: boolean;
  /** Answer normally but break one field: of the chat with this key, or of every chat (`'all'`). */
  schemaInvalid?: 'all' | string;
  /** Ignore `fromEventIds`: every event of every chat again (repeated events). */
  duplicate?: boolean;
  /** Pad the normal body to at least this many bytes. */
  oversizeBytes?: number;
}

/** One request the simulator received, for assertions. */
export interface LegacyChatRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  route: string;
  /** `GET <path>?<query> HTTP/1.1` length in bytes. */
  requestLineBytes: number;
  /** The chat keys of a multi-chat request, decoded. */
  keys: string[];
  status: number;
}

export interface LegacyChatSimulatorOptions {
  /** Default `1234`. */
  accountId?: string;
  /** Default `s-1`. */
  agentSessionId?: string;
  /** The only bearer accepted (see {@link LegacyChatSimulator.rotateBearer}). Default `sim-bearer`. */
  bearer?: string;
  /** Initial switches. */
  switches?: Partial<LegacyChatSimulatorSwitches>;
  /** Clock for event times (epoch ms). Default: deterministic, from 2015-08-30T15:06:02.000Z, +1 ms per event. */
  now?: () => number;
}

const DEFAULT_SWITCHES: LegacyChatSimulatorSwitches = {
  rendering: 'wire',
  noNewEvents: 'links-only',
  timeMillis: 'always',
  offsetMinutes: 180,
  fromEventIdsSemantics: 'inclusive',
  unknownChatKey: 'omit',
  endedChatKey: 'return',
  listLengthMismatch: 'all-events',
  maxChatKeys: Number.POSITIVE_INFINITY,
  chatOrder: 'request',
  expiredAgentSession: 'oauth-text',
};

/**
 * A loopback HTTP server (127.0.0.1, a free port) that speaks the legacy Chat Agent API for one
 * agent session, from scripted chats. For tests and demos; not a production server.
 */
export class LegacyChatSimulator {
  /** The `{agent-session}` URL to pass to `legacyChatSource`. */
  readonly agentSessionUrl: string;
  /** Undocumented-behaviour switches; change them at any time. */
  readonly switches: LegacyChatSimulatorSwitches;
  /** Every request received, in order of completion. */
  readonly requests: LegacyChatRequestRecord[] = [];
  private readonly script: ChatScript;
  private readonly faults: { fault: LegacyChatFault; times: number }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private bearer: string;
  private inFlightCount = 0;

  private constructor(
    private readonly server: Server,
    private readonly basePath: string,
    opts: LegacyChatSimulatorOptions,
  ) {
    const port = (server.address() as AddressInfo).port;
    this.agentSessionUrl = `http://127.0.0.1:${port}${basePath}`;
    this.switches = { ...DEFAULT_SWITCHES, ...opts.switches };
    this.bearer = opts.bearer ?? 'sim-bearer';
    let t = Date.UTC(2015, 7, 30, 15, 6, 2, 0);
    this.script = new ChatScript(opts.now ?? (() => t++));
  }

  /** Starts a simulator on 127.0.0.1 and a free port. */
  static async start(opts: LegacyChatSimulatorOptions = {}): Promise<LegacyChatSimulator> {
    const basePath = `/api/account/${opts.accountId ?? '1234'}/agentSession/${opts.agentSessionId ?? 's-1'}`;
    const holder: { sim?: LegacyChatSimulator } = {};
    const server = createServer((req, res) => holder.sim?.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const sim = new LegacyChatSimulator(server, basePath, opts);
    holder.sim = sim;
    return sim;
  }

  /** Opens a chat (canonical opening events); returns its chatSessionKey. */
  openChat(opts: OpenChatOptions = {}): string {
    return this.script.openChat(opts);
  }
  /** The visitor writes a line; returns its event id. */
  visitorSays(key: string, text: string): number {
    return this.script.append(key, {
      type: 'line',
      source: 'visitor',
      by: 'visitor',
      textType: 'plain',
      text,
    });
  }
  /** The chat's agent writes a line (`by` = agent name); returns its event id. */
  agentSays(
    key: string,
    text: string,
    o: { textType?: 'plain' | 'html' | 'rich-content'; json?: unknown } = {},
  ): number {
    const agent = this.script.get(key).agent;
    const e: Omit<SimEvent, 'id' | 'time'> = {
      type: 'line',
      source: 'agent',
      by: agent?.name ?? 'agent',
      textType: o.textType ?? 'plain',
      text,
    };
    if (o.json !== undefined) e.json = o.json;
    return this.script.append(key, e);
  }
  /** A system line with a `systemMessageId`; returns its event id. */
  systemSays(key: string, text: string, systemMessageId: string): number {
    return this.script.append(key, {
      type: 'line',
      source: 'system',
      by: 'info',
      textType: 'plain',
      systemMessageId,
      text,
    });
  }
  /** Appends an event of any type (e.g. `url`, to test unknown types); returns its id. */
  addEvent(key: string, type: string, fields: Partial<Omit<SimEvent, 'id' | 'type'>> = {}): number {
    return this.script.append(key, { ...fields, type });
  }
  setVisitorTyping(key: string, typing: boolean): void {
    this.script.get(key).visitorTyping = typing;
    this.script.touch(key);
  }
  setAgentTyping(key: string, typing: boolean): void {
    this.script.get(key).agentTyping = typing;
    this.script.touch(key);
  }
  /** Changes the chat's agent in `info` (a transfer), or removes it (`undefined`). */
  setAgent(key: string, agent: SimAgent | undefined): void {
    this.script.get(key).agent = agent;
    this.script.touch(key);
  }
  /** Ends the chat: appends `state ended`; the resource stays. */
  endChat(key: string): number {
    return this.script.append(key, { type: 'state', state: 'ended' });
  }
  /** A chat's current model (read-only use). */
  chat(key: string): Readonly<SimChat> {
    return this.script.get(key);
  }
  /** Only `token` is accepted from now on (simulates an expired bearer). */
  rotateBearer(token: string): void {
    this.bearer = token;
  }
  /** Queues a fault for the next `times` matching requests. */
  injectFault(fault: LegacyChatFault, times = 1): void {
    this.faults.push({ fault, times });
  }
  clearFaults(): void {
    this.faults.length = 0;
  }
  /** Changes switches. */
  configure(s: Partial<LegacyChatSimulatorSwitches>): void {
    Object.assign(this.switches, s);
  }
  /** Requests being answered right now (0 when the client is idle). */
  get inFlight(): number {
    return this.inFlightCount;
  }
  /** Multi-chat requests received so far. */
  multiChatRequests(): LegacyChatRequestRecord[] {
    return this.requests.filter((r) => r.route === 'multichat');
  }

  /** Stops the server and drops every open connection. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.inFlightCount += 1;
    res.on('close', () => (this.inFlightCount -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.route(req, res, Buffer.concat(chunks).toString('utf8')));
  }

  private route(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (
      (req.headers['x-http-method-override'] as string | undefined) ??
      req.method ??
      'GET'
    ).toUpperCase();
    const path = url.pathname.replace(/\.json$/, '');
    const rest = path.startsWith(this.basePath) ? path.slice(this.basePath.length) : undefined;
    const route = routeName(method, rest);
    const keys = route === 'multichat' ? splitList(url.searchParams.get('chatSessionKeys')) : [];
    const record: LegacyChatRequestRecord = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      route,
      requestLineBytes: Buffer.byteLength(`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`),
      keys,
      status: 0,
    };
    const send = (status: number, payload: string, headers: Record<string, string> = {}) => {
      record.status = status;
      this.requests.push(record);
      if (res.destroyed) return;
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(payload)), ...headers });
      res.end(payload);
    };
    const json = (status: number, value: unknown) =>
      send(status, JSON.stringify(value), { 'content-type': 'application/json' });

    if (req.headers['authorization'] !== `Bearer ${this.bearer}`) {
      const s = this.switches.expiredAgentSession;
      if (s === 'oauth-text') {
        return send(
          401,
          'oauth_problem=token_rejected&oauth_problem_advice=the oauth_token is unacceptable to the Service Provider',
          { 'content-type': 'text/plain' },
        );
      }
      return json(
        s === '404' ? 404 : 401,
        errorBody(s === '404' ? 'Agent session not found' : 'Unauthorized'),
      );
    }
    const fault = this.takeFault(route);
    const answer = () => {
      if (fault?.reset === true) {
        record.status = -1;
        this.requests.push(record);
        req.socket.destroy();
        return;
      }
      if (fault?.hang === true) return;
      if (fault?.status !== undefined) {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        if (fault.contentType !== undefined) headers['content-type'] = fault.contentType;
        return send(fault.status, fault.body ?? '', headers);
      }
      if (fault?.malformed === true)
        return send(200, '{"chats":{"chat":[{"info":', { 'content-type': 'application/json' });
      const result = this.dispatch(route, rest ?? '', method, url, body, fault);
      let payload = JSON.stringify(result.body);
      if (fault?.oversizeBytes !== undefined && payload.length < fault.oversizeBytes) {
        payload = `${payload}${' '.repeat(fault.oversizeBytes - payload.length)}`;
      }
      send(result.status, payload, { 'content-type': 'application/json' });
    };
    if (fault?.delayMs !== undefined) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        answer();
      }, fault.delayMs);
      this.timers.add(timer);
    } else {
      answer();
    }
  }

  private takeFault(route: string): LegacyChatFault | undefined {
    const i = this.faults.findIndex(
      ({ fault }) => (fault.route ?? 'multichat') === 'any' || (fault.route ?? 'multichat') === route,
    );
    const entry = this.faults[i];
    if (entry === undefined) return undefined;
    entry.times -= 1;
    if (entry.times <= 0) this.faults.splice(i, 1);
    return entry.fault;
  }

  private dispatch(
    route: string,
    rest: string,
    method: string,
    url: URL,
    body: string,
    fault: LegacyChatFault | undefined,
  ): { status: number; body: unknown } {
    const r = this.switches;
    const chatUrl = (key: string) => `${this.agentSessionUrl}/chat/${encodeURIComponent(key)}`;
    switch (route) {
      case 'multichat':
        return this.multiChat(url, fault);
      case 'incomingRequests': {
        const n = this.script.ringingCount();
        const block: Record<string, unknown> = { ringingCount: String(n) };
        if (n > 0) block['link'] = { '@href': `${this.agentSessionUrl}/incomingRequests`, '@rel': 'next' };
        return { status: 200, body: { incomingRequests: block } };
      }
      case 'accept': {
        const chat = this.script.nextRinging();
        if (chat === undefined) return { status: 404, body: errorBody('No chat is ringing') };
        this.script.accept(chat.key);
        return {
          status: 201,
          body: { chatLocation: { link: { '@href': chatUrl(chat.key), '@rel': 'location' } } },
        };
      }
    }
    const m = /^\/chat\/([^/]+)(\/events|\/info(?:\/agentTyping)?)?$/.exec(rest);
    const chat = m === null ? undefined : this.script.chats.get(decodeURIComponent(m[1] ?? ''));
    if (m === null || chat === undefined) return { status: 404, body: errorBody('Chat session not found') };
    const sub = m[2] ?? '';
    const from = Number(url.searchParams.get('from') ?? 0);
    const since = (c: SimChat) => c.events.filter((e) => e.id >= from);
    if (method === 'GET' && sub === '')
      return { status: 200, body: { chat: renderChat(chat, since(chat), chatUrl(chat.key), r) } };
    if (method === 'GET' && sub === '/events') {
      return { status: 200, body: { events: renderEvents(chat, since(chat), chatUrl(chat.key), r) ?? {} } };
    }
    if (method === 'GET' && sub === '/info')
      return { status: 200, body: { info: renderInfo(chat, chatUrl(chat.key), r) } };
    if (method === 'POST' && sub === '/info/agentTyping') {
      const v = parseJson(body)?.['agentTyping'];
      if (v !== 'typing' && v !== 'not-typing') return { status: 400, body: errorBody('Bad agentTyping') };
      this.setAgentTyping(chat.key, v === 'typing');
      return { status: 200, body: {} };
    }
    if (method === 'POST' && sub === '/events') {
      const ev = parseJson(body)?.['event'] as Record<string, unknown> | undefined;
      const type = ev?.['@type'] ?? ev?.['type'];
      let id: number;
      if (type === 'line' && typeof ev?.['text'] === 'string') {
        const textType =
          ev['textType'] === 'html' || ev['textType'] === 'rich-content' ? ev['textType'] : 'plain';
        id = this.agentSays(chat.key, ev['text'], { textType });
      } else if (type === 'state' && ev?.['state'] === 'ended') {
        id = this.endChat(chat.key);
      } else {
        return { status: 400, body: errorBody('Bad event') };
      }
      return {
        status: 201,
        body: {
          chatEventLocation: { link: { '@href': `${chatUrl(chat.key)}/events/${id}`, '@rel': 'location' } },
        },
      };
    }
    return { status: 404, body: errorBody('Not found') };
  }

  private multiChat(url: URL, fault: LegacyChatFault | undefined): { status: number; body: unknown } {
    const s = this.switches;
    const keys = splitList(url.searchParams.get('chatSessionKeys'));
    const ids = splitList(url.searchParams.get('fromEventIds'));
    if (keys.length === 0) return { status: 400, body: errorBody('chatSessionKeys is required') };
    if (keys.length > s.maxChatKeys) return { status: 400, body: errorBody('Too many chatSessionKeys') };
    if (ids.length > 0 && ids.length !== keys.length && s.listLengthMismatch === '400') {
      return { status: 400, body: errorBody('fromEventIds does not match chatSessionKeys') };
    }
    const out: unknown[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] ?? '';
      const chat = this.script.chats.get(key);
      if (chat === undefined || chat.ringing) {
        if (s.unknownChatKey === '400' || s.unknownChatKey === '404') {
          return { status: Number(s.unknownChatKey), body: errorBody('Chat session not found') };
        }
        if (s.unknownChatKey === 'error-element')
          out.push({ error: errorBody('Chat session not found')['error'] });
        continue;
      }
      if (chat.state === 'ended' && s.endedChatKey !== 'return') {
        if (s.endedChatKey === 'error-element') out.push({ error: errorBody('Chat session ended')['error'] });
        continue;
      }
      const raw = ids[i];
      const from = raw === undefined || fault?.duplicate === true ? undefined : Number(raw);
      const events =
        from === undefined
          ? chat.events
          : chat.events.filter((e) => (s.fromEventIdsSemantics === 'inclusive' ? e.id >= from : e.id > from));
      const rendered = renderChat(
        chat,
        events,
        `${this.agentSessionUrl}/chat/${encodeURIComponent(key)}`,
        s,
      ) as Record<string, unknown>;
      if (fault?.schemaInvalid === 'all' || fault?.schemaInvalid === key) breakChat(rendered);
      out.push(rendered);
    }
    if (s.chatOrder === 'reversed') out.reverse();
    if (out.length === 0) return { status: 200, body: { chats: s.rendering === 'wire' ? '' : {} } };
    return {
      status: 200,
      body: { chats: { chat: s.rendering === 'wire' && out.length === 1 ? out[0] : out } },
    };
  }
}

function routeName(method: string, rest: string | undefined): string {
  if (rest === undefined) return 'other';
  if (rest === '/chat' && method === 'GET') return 'multichat';
  if (rest === '/incomingRequests') return method === 'POST' ? 'accept' : 'incomingRequests';
  if (rest.startsWith('/chat/')) return 'chat';
  return 'other';
}

function splitList(v: string | null): string[] {
  return v === null || v === '' ? [] : v.split(',').filter((s) => s !== '');
}

function errorBody(message: string): { error: Record<string, unknown> } {
  return { error: { time: '2015-08-30T18:20:00.000+03:00', message, internalCode: 10 } };
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Breaks one field: the first event's time, or the info state when the chat has no events. */
function breakChat(chat: Record<string, unknown>): void {
  const events = chat['events'] as Record<string, unknown> | undefined;
  const list = events?.['event'];
  const first = (Array.isArray(list) ? list[0] : list) as Record<string, unknown> | undefined;
  if (first !== undefined) first['time'] = 'yesterday';
  else (chat['info'] as Record<string, unknown>)['state'] = 'bogus';
}
