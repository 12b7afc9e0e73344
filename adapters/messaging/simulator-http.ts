import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the HTTP side needs from the simulator. */
export interface SimHttpContext {
  accountId: string;
  domain(): string;
  agentUserId: string;
  issueToken(): string;
  log(entry: { method: string; path: string; status: number }): void;
  /** Notes a request no HTTP route serves (`METHOD /path`). */
  unexpected(what: string): void;
  /** The messaging service names CSDS lists (the `csdsMessagingService` switch). */
  messagingServices(): string[];
}

const json = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

/**
 * CSDS (`baseURI.json`), login and refresh (protocol §2), on plain HTTP loopback. Login accepts any
 * credentials and issues a fresh valid bearer; refresh checks the csrf and the session cookie.
 */
export function createHttpHandler(ctx: SimHttpContext): (req: IncomingMessage, res: ServerResponse) => void {
  const sessions = new Map<string, string>();
  let nextSession = 1;
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    const unserved = (status: number, error: string): void => {
      ctx.unexpected(`${req.method ?? ''} ${path}`);
      done(status, { error });
    };
    const done = (status: number, body: unknown, headers?: Record<string, string>): void => {
      ctx.log({ method: req.method ?? '', path, status });
      json(res, status, body, headers);
    };
    const m = /^\/api\/account\/([^/]+)\/(?:service\/(?:([^/]+)\/)?baseURI\.json|(login|refresh))$/.exec(
      path,
    );
    if (m === null || m[1] !== ctx.accountId) return unserved(404, 'not found');
    const services = ['agentVep', ...ctx.messagingServices()];
    if (m[3] === undefined) {
      if (req.method !== 'GET') return unserved(405, 'method');
      const wanted = m[2];
      if (wanted !== undefined) {
        if (!services.includes(wanted)) return done(404, { error: 'unknown service' });
        return done(200, { service: wanted, account: ctx.accountId, baseURI: ctx.domain() });
      }
      return done(200, {
        baseURIs: services.map((service) => ({ service, account: ctx.accountId, baseURI: ctx.domain() })),
      });
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
      } catch {
        return done(400, { error: { message: 'bad json' } });
      }
      if (req.method !== 'POST') return unserved(405, 'method');
      if (m[3] === 'login') {
        const ok = typeof body['username'] === 'string' || typeof body['assertion'] === 'string';
        if (!ok) return done(401, { error: { message: 'bad credentials', internalCode: 10 } });
        const csrf = `CSRF-${nextSession}`;
        const session = `sess-${nextSession++}`;
        sessions.set(session, csrf);
        return done(
          200,
          {
            bearer: ctx.issueToken(),
            csrf,
            config: { userId: ctx.agentUserId, userPid: `pid-${ctx.agentUserId}` },
          },
          { 'set-cookie': `Session_id=${session}; Path=/` },
        );
      }
      const cookie = /Session_id=([^;\s]+)/.exec(req.headers.cookie ?? '')?.[1];
      if (cookie === undefined || sessions.get(cookie) !== body['csrf']) {
        return done(401, {
          error: { message: 'unauthorized', internalCode: 10, responseStatus: 'UNAUTHORIZED' },
        });
      }
      return done(200, undefined);
    });
  };
}
