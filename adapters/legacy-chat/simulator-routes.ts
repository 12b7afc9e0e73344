// The legacy simulator's HTTP side: auth, one-shot faults, and the agent-session routes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimAgentSessions } from './simulator-agent-sessions.js';
import type { ChatScript, SimChat } from './simulator-chats.js';
import { errorBody, multiChat, splitList } from './simulator-multichat.js';
import { renderChat, renderEvents, renderInfo } from './simulator-render.js';
import type { LegacyChatFault, LegacyChatSimulatorSwitches } from './simulator-switches.js';
import { availability, chatWrite, parseJson, writeRoute, type WriteContext } from './simulator-writes.js';

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
  /** The `cookie` header sent, if any. */
  cookie: string | undefined;
}

/** What the routes need from the simulator. */
export interface LegacyRouteContext {
  /** `http://127.0.0.1:{port}`. */
  readonly origin: string;
  /** `/api/account/{accountId}/agentSession`: sessions are created here, and live below it. */
  readonly sessionsPath: string;
  readonly chats: ChatScript;
  readonly sessions: SimAgentSessions;
  readonly switches: Readonly<LegacyChatSimulatorSwitches>;
  /** Whether `token` is a bearer the simulator accepts now. */
  accepts(token: string): boolean;
  takeFault(route: string): LegacyChatFault | undefined;
  record(r: LegacyChatRequestRecord): void;
  /** Notes a request no route of the simulator serves (`METHOD /path`). */
  unexpected(what: string): void;
  /** Runs `fn` after `ms`, unless the simulator closes first. */
  later(fn: () => void, ms: number): void;
  /** What the write paths need (simulator-writes.ts). */
  readonly writes: WriteContext;
}

interface Answer {
  status: number;
  body: unknown;
  /** No route serves this request (an unknown path, or a method a chat path does not take). */
  unexpected?: true;
}

/** Answers one request (its body already read). */
export function answer(
  ctx: LegacyRouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  body: string,
): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const method = (
    (req.headers['x-http-method-override'] as string | undefined) ??
    req.method ??
    'GET'
  ).toUpperCase();
  const path = url.pathname.replace(/\.json$/, '');
  const below = path.startsWith(`${ctx.sessionsPath}/`) ? path.slice(ctx.sessionsPath.length + 1) : undefined;
  const sessionId = below?.split('/', 1)[0] ?? '';
  const rest = below === undefined ? undefined : below.slice(sessionId.length);
  const route =
    path === ctx.sessionsPath && method === 'POST' ? 'createAgentSession' : routeName(method, rest);
  const keys = route === 'multichat' ? splitList(url.searchParams.get('chatSessionKeys')) : [];
  const record: LegacyChatRequestRecord = {
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    route,
    requestLineBytes: Buffer.byteLength(`${req.method ?? 'GET'} ${req.url ?? '/'} HTTP/1.1`),
    keys,
    status: 0,
    cookie: req.headers.cookie,
  };
  const taken: { fault?: LegacyChatFault | undefined } = {};
  const sessionCookie = (id: string) => ({
    'set-cookie': `${ctx.sessions.cookieOf(id)}; Path=${ctx.sessionsPath}/${id}; HttpOnly`,
  });
  const setCookie: Record<string, string> = rest === undefined ? {} : sessionCookie(sessionId);
  const send = (status: number, payload: string, headers: Record<string, string> = {}) => {
    record.status = status;
    ctx.record(record);
    if (res.destroyed) return;
    const fault = taken.fault;
    const all = { 'content-length': String(Buffer.byteLength(payload)), ...setCookie, ...headers };
    const bytes = Buffer.from(payload);
    if (fault?.resetAfterBytes !== undefined) {
      res.writeHead(status, all);
      res.write(bytes.subarray(0, fault.resetAfterBytes), () => req.socket.destroy());
      return;
    }
    if (fault?.trickleBytesPer100Ms !== undefined) {
      res.writeHead(status, all);
      const step = fault.trickleBytesPer100Ms;
      const drip = (at: number): void => {
        if (res.destroyed) return;
        if (at >= bytes.length) return void res.end();
        res.write(bytes.subarray(at, at + step));
        ctx.later(() => drip(at + step), 100);
      };
      return drip(0);
    }
    res.writeHead(status, all);
    res.end(payload);
  };
  const json = (status: number, value: unknown) =>
    send(status, JSON.stringify(value), { 'content-type': 'application/json' });

  const auth = req.headers['authorization'] ?? '';
  const alive = rest === undefined || ctx.sessions.isAlive(sessionId);
  if (!auth.startsWith('Bearer ') || !ctx.accepts(auth.slice(7)) || !alive) {
    const s = ctx.switches.expiredAgentSession;
    if (s === 'oauth-text') {
      return send(
        401,
        'oauth_problem=token_rejected&oauth_problem_advice=the oauth_token is unacceptable to the Service Provider',
        { 'content-type': 'text/plain' },
      );
    }
    return json(s === '404' ? 404 : 401, errorBody(s === '404' ? 'Agent session not found' : 'Unauthorized'));
  }
  const cookies = (req.headers.cookie ?? '').split(/;\s*/);
  if (route === 'createAgentSession') {
    const parsed = parseJson(body);
    if (parsed === undefined || !('loginData' in parsed))
      return json(400, errorBody('A body with loginData is required'));
    const id = ctx.sessions.create();
    const href = `${ctx.origin}${ctx.sessionsPath}/${id}`;
    return send(
      201,
      JSON.stringify({ agentSessionLocation: { link: { '@href': href, '@rel': 'location' } } }),
      {
        'content-type': 'application/json',
        ...sessionCookie(id),
      },
    );
  }
  if (rest === undefined) return json(404, errorBody('Not found'));
  if (ctx.switches.cookies === 'required' && !cookies.includes(ctx.sessions.cookieOf(sessionId))) {
    return json(401, errorBody('Agent session cookie missing'));
  }
  const fault = ctx.takeFault(route);
  taken.fault = fault;
  const reply = () => {
    if (fault?.reset === true) {
      record.status = -1;
      ctx.record(record);
      req.socket.destroy();
      return;
    }
    if (fault?.hang === true) return;
    if (fault?.status !== undefined) {
      const headers: Record<string, string> = { ...fault.headers };
      if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
      if (fault.contentType !== undefined) headers['content-type'] = fault.contentType;
      return send(fault.status, fault.body ?? '', headers);
    }
    if (fault?.malformed === true)
      return send(200, '{"chats":{"chat":[{"info":', { 'content-type': 'application/json' });
    const result = dispatch(ctx, sessionId, route, rest, method, url, body, fault);
    if (route === 'other' || result.unexpected === true) ctx.unexpected(`${method} ${url.pathname}`);
    // Commit-then-drop: the write is applied, then its answer is lost (reset) or late (delayed).
    if (fault?.commitThenDrop === 'reset') {
      record.status = -1;
      ctx.record(record);
      req.socket.destroy();
      return;
    }
    let payload = JSON.stringify(result.body);
    if (fault?.oversizeBytes !== undefined && payload.length < fault.oversizeBytes) {
      payload = `${payload}${' '.repeat(fault.oversizeBytes - payload.length)}`;
    }
    if (fault?.commitThenDrop === 'delay')
      return ctx.later(
        () => send(result.status, payload, { 'content-type': 'application/json' }),
        fault.delayMs ?? 60_000,
      );
    send(result.status, payload, { 'content-type': 'application/json' });
  };
  if (fault?.delayMs !== undefined && fault.commitThenDrop === undefined) ctx.later(reply, fault.delayMs);
  else reply();
}

function dispatch(
  ctx: LegacyRouteContext,
  sessionId: string,
  route: string,
  rest: string,
  method: string,
  url: URL,
  body: string,
  fault: LegacyChatFault | undefined,
): Answer {
  const r = ctx.switches;
  const agentSessionUrl = `${ctx.origin}${ctx.sessionsPath}/${sessionId}`;
  const chatUrl = (key: string) => `${agentSessionUrl}/chat/${encodeURIComponent(key)}`;
  switch (route) {
    case 'multichat': {
      // A chat another agent session holds is unknown here: the whole request fails (L1).
      const foreign = splitList(url.searchParams.get('chatSessionKeys')).some(
        (k) => ctx.chats.chats.has(k) && !ctx.sessions.mayUse(sessionId, k),
      );
      if (foreign) return { status: 404, body: errorBody('Chat session not found') };
      return multiChat(ctx.chats, url, r, chatUrl, fault);
    }
    case 'chatSessions': {
      const chatSession = ctx.sessions.chatSessions(sessionId).map((key) => ({
        link: { href: chatUrl(key), rel: 'chat-session' },
        chatSessionKey: key,
        startTime: ctx.chats.chats.get(key)?.startTime ?? 0,
      }));
      return { status: 200, body: { chatSessions: { chatSession } } };
    }
    case 'incomingRequests': {
      const n = ctx.chats.ringingCount();
      const block: Record<string, unknown> = { ringingCount: String(n) };
      const link = `${agentSessionUrl}/incomingRequests${r.acceptLink === 'distinct' ? '/next' : ''}`;
      if (n > 0) block['link'] = { '@href': link, '@rel': 'next' };
      return { status: 200, body: { incomingRequests: block } };
    }
    case 'accept': {
      const announced = r.acceptLink === 'distinct' ? '/incomingRequests/next' : '/incomingRequests';
      if (rest !== announced) return { status: 405, body: errorBody('Not the accept link') };
      if (fault?.race === true) {
        const taken = ctx.chats.nextRinging();
        if (taken !== undefined) ctx.chats.chats.delete(taken.key);
      }
      const chat = ctx.chats.nextRinging();
      if (chat === undefined) return { status: r.acceptRaceStatus, body: errorBody('No chat is ringing') };
      ctx.chats.accept(chat.key);
      const href =
        fault?.acceptHref === undefined
          ? chatUrl(chat.key)
          : fault.acceptHref.replace('{key}', encodeURIComponent(chat.key));
      return { status: 201, body: { chatLocation: { link: { '@href': href, '@rel': 'location' } } } };
    }
  }
  if (rest === '/availability') return availability(ctx.writes, method, body);
  const m = /^\/chat\/([^/]+)(\/events|\/info(?:\/agentTyping)?|\/transfer)?$/.exec(rest);
  const chat = m === null ? undefined : ctx.chats.chats.get(decodeURIComponent(m[1] ?? ''));
  if (m === null || chat === undefined || !ctx.sessions.mayUse(sessionId, chat.key))
    return { status: 404, body: errorBody('Chat session not found') };
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
  const written = chatWrite(ctx.writes, chat, sub, method, body);
  if (written !== undefined) return written;
  return { status: 404, body: errorBody('Not found'), unexpected: true };
}

function routeName(method: string, rest: string | undefined): string {
  if (rest === undefined) return 'other';
  if (rest === '/chat' && method === 'GET') return 'multichat';
  if (rest === '/incomingRequests') return method === 'POST' ? 'accept' : 'incomingRequests';
  if (rest === '/incomingRequests/next' && method === 'POST') return 'accept';
  const write = writeRoute(method, rest);
  if (write !== undefined) return write;
  if (rest.startsWith('/chat/')) return 'chat';
  if (rest === '/chatSessions' && method === 'GET') return 'chatSessions';
  if (rest === '/availability') return 'availability';
  return 'other';
}
