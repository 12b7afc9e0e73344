import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SimulatorFaultControls, SimulatorFaultQueue } from '../../src/model/conversation-script.js';
import { FaultModel } from '../../src/runtime/fault-model.js';
import type { AccountAuthority, AccountMember } from '../../src/runtime/simulated-account.js';
import type { AppKeyCredentials, PasswordCredentials } from './options.js';
import { json, SimLoginService, type LoginRequestRecord } from './simulator-login.js';
import {
  DEFAULT_LOGIN_SWITCHES,
  type LoginSimulatorFault,
  type LoginSimulatorSwitches,
} from './simulator-switches.js';

/** Options of {@link LoginSimulator.start}. */
export interface LoginSimulatorOptions {
  /** Default `1234`. */
  accountId?: string;
  /** Users who may log in with a password. Default one: {@link LoginSimulator.demoUser}. */
  users?: PasswordCredentials[];
  /** Applications (bots) that may log in with app keys. Default none. */
  apps?: AppKeyCredentials[];
  /** The legacy numeric user id every login answers (`config.userId`). Default `77`. */
  userId?: string;
  /** Switches to start with (and to return to on {@link LoginSimulator.clearFaults}). */
  switches?: Partial<LoginSimulatorSwitches>;
  /** Serve HTTPS with this key and certificate (for clients with hard-coded `https:`, such as node-agent-sdk). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** The options that point `loginSession()` at the simulator. */
export interface LoginClientOptions {
  accountId: string;
  csdsDomain: string;
  username: string;
  password: string;
}

/**
 * A loopback LivePerson CSDS and Login Service (127.0.0.1, a free port): discovery, login
 * (password or app keys), refresh and logout with csrf and `Session_id` cookie checks, one active
 * login per user; switches for bad credentials, token and session expiry, refused refreshes and odd
 * CSDS or login answers; one-shot faults (429, 5xx, resets). {@link bundle} makes it, the legacy
 * and the messaging simulators ONE account: they accept only the tokens it issued and that are
 * still valid, and drop a revoked one. For tests and demos; not a production server.
 */
export class LoginSimulator implements SimulatorFaultControls<LoginSimulatorFault, LoginSimulatorSwitches> {
  /** The credentials the simulator accepts by default. */
  static readonly demoUser: PasswordCredentials = { username: 'demo-agent', password: 'demo-password' };
  /** `127.0.0.1:{port}`: pass as `csdsDomain`. */
  readonly domain: string;
  readonly accountId: string;
  /** The messaging-style agent id of every login, `{accountId}.{userId}`. */
  readonly agentId: string;
  readonly faults: SimulatorFaultQueue<LoginSimulatorFault>;
  private readonly faultModel: FaultModel<LoginSimulatorFault, LoginSimulatorSwitches>;
  private readonly service: SimLoginService;
  private readonly log: LoginRequestRecord[] = [];
  private readonly listeners = new Set<(token: string) => void>();
  private readonly services: Record<string, string>;
  private readonly users: readonly PasswordCredentials[];

  private constructor(
    private readonly server: Server,
    opts: LoginSimulatorOptions,
  ) {
    this.domain = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    this.accountId = opts.accountId ?? '1234';
    const userId = opts.userId ?? '77';
    this.agentId = `${this.accountId}.${userId}`;
    this.users = opts.users ?? [LoginSimulator.demoUser];
    this.faultModel = new FaultModel('LoginSimulator', { ...DEFAULT_LOGIN_SWITCHES, ...opts.switches });
    this.faults = this.faultModel.queue;
    this.services = { agentVep: this.domain, facadeMsg: this.domain, asyncMessagingEnt: this.domain };
    const faults = this.faultModel;
    this.service = new SimLoginService({
      accountId: this.accountId,
      userId,
      users: this.users,
      apps: opts.apps ?? [],
      get switches() {
        return faults.switches;
      },
      takeFault: (route) => this.takeFault(route),
      record: (r) => this.log.push(r),
      revoked: (token) => {
        for (const l of this.listeners) l(token);
      },
    });
  }

  /** Starts a simulator on 127.0.0.1 and a free port (HTTPS when `tls` is given). */
  static async start(opts: LoginSimulatorOptions = {}): Promise<LoginSimulator> {
    const holder: { sim?: LoginSimulator } = {};
    const handler = (req: IncomingMessage, res: ServerResponse): void => holder.sim?.handle(req, res);
    const server = opts.tls === undefined ? createServer(handler) : createTlsServer(opts.tls, handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    holder.sim = new LoginSimulator(server, opts);
    return holder.sim;
  }

  /** The options that point `loginSession()` here, with the first user's credentials. */
  clientOptions(): LoginClientOptions {
    const u = this.users[0] ?? LoginSimulator.demoUser;
    return { accountId: this.accountId, csdsDomain: this.domain, username: u.username, password: u.password };
  }

  /**
   * Makes the given simulators and this one ONE account: CSDS lists their hosts (the legacy one
   * as `agentVep`, which then also serves the Login Service; the messaging one as `facadeMsg` and
   * `asyncMessagingEnt`), and they accept only this simulator's valid tokens from now on.
   */
  bundle(members: { legacy?: AccountMember; messaging?: AccountMember }): void {
    const authority: AccountAuthority = {
      accountId: this.accountId,
      accepts: (token) => this.service.accepts(token),
      serveLogin: (req, res) => this.service.serve(req, res),
      onRevoked: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
    };
    for (const m of [members.legacy, members.messaging]) {
      if (m !== undefined) Object.assign(this.services, m.joinAccount(authority));
    }
  }

  // ---- tokens ----------------------------------------------------------------------------

  /** Successful logins so far. */
  get logins(): number {
    return this.service.logins;
  }
  /** Whether `token` is valid now. */
  accepts(token: string): boolean {
    return this.service.accepts(token);
  }
  /** The tokens valid now. */
  validTokens(): string[] {
    return this.service.validTokens();
  }
  /** Ends the login holding `token` (default: every live login) as if it expired now. */
  expireToken(token?: string): void {
    this.service.expire(token);
  }

  // ---- faults ----------------------------------------------------------------------------

  get switches(): Readonly<LoginSimulatorSwitches> {
    return this.faultModel.snapshot();
  }
  configure(switches: Partial<LoginSimulatorSwitches>): void {
    this.faultModel.configure(switches);
  }
  clearFaults(): void {
    this.faultModel.clear();
  }
  assertNoPendingFaults(): void {
    this.faultModel.assertNoPending();
  }

  // ---- observation -----------------------------------------------------------------------

  /** Every request received, in order of answer (never with its body). */
  get requests(): readonly Readonly<LoginRequestRecord>[] {
    return this.log;
  }

  /** Stops the server, its timers and every open connection. */
  async close(): Promise<void> {
    this.service.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private takeFault(route: string): LoginSimulatorFault | undefined {
    return this.faultModel.take((f) => (f.route ?? 'login') === route);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.service.serve(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record = (status: number): void =>
      void this.log.push({
        route: 'csds',
        method: req.method ?? '',
        path: url.pathname,
        status,
        at: Date.now(),
        userAgent: req.headers['user-agent'],
      });
    const m = /^\/api\/account\/([^/]+)\/service\/(?:([^/]+)\/)?baseURI\.json$/.exec(url.pathname);
    if (m === null) {
      this.log.push({
        route: 'other',
        method: req.method ?? '',
        path: url.pathname,
        status: 404,
        at: Date.now(),
        userAgent: undefined,
      });
      return json(res, 404, { error: { message: 'not found' } });
    }
    const fault = this.takeFault('csds');
    if (fault?.reset === true) return void req.socket.destroy();
    if (fault?.status !== undefined) {
      record(fault.status);
      return json(
        res,
        fault.status,
        { error: { message: 'fault' } },
        fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter },
      );
    }
    if (m[1] !== this.accountId) {
      record(404);
      return json(res, 404, { error: { message: 'unknown account' } });
    }
    const sw = this.faultModel.switches;
    record(200);
    if (sw.csds === 'not-json') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return void res.end('<html>maintenance</html>');
    }
    if (sw.csds === 'no-baseURIs') return json(res, 200, { services: 'none' });
    const hidden = new Set<string>(
      sw.csds === 'no-messaging'
        ? ['facadeMsg', 'asyncMessagingEnt']
        : sw.csdsMessagingService === 'facadeMsg'
          ? ['asyncMessagingEnt']
          : sw.csdsMessagingService === 'asyncMessagingEnt'
            ? ['facadeMsg']
            : [],
    );
    const list = Object.entries(this.services)
      .filter(([service]) => !hidden.has(service))
      .map(([service, baseURI]) => ({ service, account: this.accountId, baseURI }));
    const one = m[2];
    if (one === undefined) return json(res, 200, { baseURIs: list });
    const hit = list.find((b) => b.service === one);
    return hit === undefined
      ? json(res, 404, { error: { message: 'unknown service' } })
      : json(res, 200, hit);
  }
}
