// The Login Service side of the login simulator: login, refresh, logout, with csrf and cookie checks.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppKeyCredentials, PasswordCredentials } from './options.js';
import type { LoginSimulatorFault, LoginSimulatorSwitches } from './simulator-switches.js';

/** One request the login simulator received (no bodies: they carry credentials). */
export interface LoginRequestRecord {
  route: 'csds' | 'login' | 'refresh' | 'logout' | 'other';
  method: string;
  path: string;
  status: number;
  /** `Date.now()` when it was answered. */
  at: number;
  userAgent: string | undefined;
}

/** A login session as the simulator holds it. */
interface SimLogin {
  id: string;
  csrf: string;
  token: string;
  username: string;
  alive: boolean;
  tokenTimer?: NodeJS.Timeout | undefined;
  sessionTimer?: NodeJS.Timeout | undefined;
}

/** What the login routes need from the simulator. */
export interface LoginRoutesContext {
  readonly accountId: string;
  readonly userId: string;
  readonly users: readonly PasswordCredentials[];
  readonly apps: readonly AppKeyCredentials[];
  readonly switches: Readonly<LoginSimulatorSwitches>;
  takeFault(route: string): LoginSimulatorFault | undefined;
  record(r: LoginRequestRecord): void;
  revoked(token: string): void;
}

export const json = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

const unauthorized = (message: string) => ({
  error: { time: new Date().toISOString(), message, internalCode: 10, responseStatus: 'UNAUTHORIZED' },
});

/**
 * The Login Service of one account (legacy-chat-api.md §2.2): one active login per user (a new
 * login logs the previous one out, M8), tokens valid until expiry, logout or re-login.
 */
export class SimLoginService {
  logins = 0;
  private readonly sessions = new Map<string, SimLogin>();
  private readonly tokens = new Map<string, SimLogin>();

  constructor(private readonly ctx: LoginRoutesContext) {}

  accepts(token: string): boolean {
    return this.tokens.get(token)?.alive === true;
  }

  /** The tokens valid now. */
  validTokens(): string[] {
    return [...this.tokens].filter(([, s]) => s.alive).map(([t]) => t);
  }

  /** Ends the login that holds `token` (or every live one): its token is no longer accepted. */
  expire(token?: string): void {
    for (const s of this.sessions.values())
      if (s.alive && (token === undefined || s.token === token)) this.end(s);
  }

  close(): void {
    for (const s of this.sessions.values()) {
      clearTimeout(s.tokenTimer);
      clearTimeout(s.sessionTimer);
    }
  }

  /** Serves `/api/account/{a}/(login|refresh|logout)`; false for any other path. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/api\/account\/([^/]+)\/(login|refresh|logout)$/.exec(url.pathname);
    if (m === null) return false;
    const route = m[2] as 'login' | 'refresh' | 'logout';
    const done = (status: number, body: unknown, headers?: Record<string, string>): void => {
      this.ctx.record({
        route,
        method: req.method ?? '',
        path: url.pathname,
        status,
        at: Date.now(),
        userAgent: req.headers['user-agent'],
      });
      json(res, status, body, headers);
    };
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (m[1] !== this.ctx.accountId) return done(404, { error: { message: 'unknown account' } });
      if (req.method !== 'POST') return done(405, { error: { message: 'method not allowed' } });
      const fault = this.ctx.takeFault(route);
      if (fault?.reset === true) return void req.socket.destroy();
      if (fault?.status !== undefined)
        return done(
          fault.status,
          { error: { message: 'fault' } },
          fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
        );
      let body: Record<string, unknown>;
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof v !== 'object' || v === null) throw new Error('not an object');
        body = v as Record<string, unknown>;
      } catch {
        return done(400, { error: { message: 'bad request body' } });
      }
      if (route === 'login') return this.login(body, done);
      const cookie = /(?:^|;\s*)Session_id=([^;\s]+)/.exec(req.headers.cookie ?? '')?.[1];
      const s = cookie === undefined ? undefined : this.sessions.get(cookie);
      if (s === undefined || !s.alive || body['csrf'] !== s.csrf)
        return done(401, unauthorized('invalid csrf or session'));
      if (route === 'logout') {
        this.end(s);
        return done(200, undefined);
      }
      if (this.ctx.switches.refreshRefused) return done(401, unauthorized('refresh refused'));
      this.armSessionExpiry(s);
      return done(200, undefined);
    });
    return true;
  }

  private login(
    body: Record<string, unknown>,
    done: (status: number, body: unknown, headers?: Record<string, string>) => void,
  ): void {
    const sw = this.ctx.switches;
    const username = this.matchingUser(body);
    if (sw.badCredentials || username === undefined) return done(401, unauthorized('bad credentials'));
    for (const s of this.sessions.values()) if (s.alive && s.username === username) this.end(s);
    const id = randomBytes(12).toString('hex');
    const s: SimLogin = {
      id,
      csrf: randomBytes(12).toString('hex'),
      token: `sim-${randomBytes(24).toString('base64url')}`,
      username,
      alive: true,
    };
    this.sessions.set(id, s);
    this.tokens.set(s.token, s);
    this.logins += 1;
    if (Number.isFinite(sw.tokenTtlMs)) s.tokenTimer = setTimeout(() => this.end(s), sw.tokenTtlMs);
    this.armSessionExpiry(s);
    const answer: Record<string, unknown> = {
      csrf: s.csrf,
      wsuk: 'wsuk',
      config: {
        loginName: username,
        userId: this.ctx.userId,
        userPid: `pid-${this.ctx.userId}`,
        serverCurrentTime: Date.now(),
      },
      sessionTTl: '28800000',
    };
    if (sw.loginAnswer === 'ok') answer['bearer'] = s.token;
    done(200, answer, { 'set-cookie': `Session_id=${id}; Path=/; HttpOnly` });
  }

  private matchingUser(b: Record<string, unknown>): string | undefined {
    if (typeof b['password'] === 'string')
      return this.ctx.users.find((u) => u.username === b['username'] && u.password === b['password'])
        ?.username;
    const app = this.ctx.apps.find(
      (a) =>
        a.username === b['username'] &&
        a.appKey === b['appKey'] &&
        a.secret === b['secret'] &&
        a.accessToken === b['accessToken'] &&
        a.accessTokenSecret === b['accessTokenSecret'],
    );
    return app?.username;
  }

  private armSessionExpiry(s: SimLogin): void {
    const ttl = this.ctx.switches.sessionTtlMs;
    if (!Number.isFinite(ttl)) return;
    clearTimeout(s.sessionTimer);
    s.sessionTimer = setTimeout(() => this.end(s), ttl);
  }

  private end(s: SimLogin): void {
    if (!s.alive) return;
    s.alive = false;
    clearTimeout(s.tokenTimer);
    clearTimeout(s.sessionTimer);
    this.ctx.revoked(s.token);
  }
}
