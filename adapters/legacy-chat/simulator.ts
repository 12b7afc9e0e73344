import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  AgentSaysOptions,
  ConversationScript,
  SimulatorFaultControls,
  SimulatorFaultQueue,
  TypingOptions,
} from '../../src/model/conversation-script.js';
import { FaultModel } from '../../src/runtime/fault-model.js';
import type { AccountAuthority, AccountMember } from '../../src/runtime/simulated-account.js';
import { SimAgentSessions } from './simulator-agent-sessions.js';
import {
  ChatScript,
  type LegacyOpenOptions,
  type SimAgent,
  type SimChat,
  type SimEvent,
} from './simulator-chats.js';
import { answer, type LegacyChatRequestRecord, type LegacyRouteContext } from './simulator-routes.js';
import { LegacyWriteState, type LegacySimSkill, type LegacySimTransfer } from './simulator-writes.js';
import {
  DEFAULT_SWITCHES,
  type LegacyChatFault,
  type LegacyChatSimulatorSwitches,
} from './simulator-switches.js';

export interface LegacyChatSimulatorOptions {
  /** Default `1234`. */
  accountId?: string;
  /** Default `s-1`. */
  agentSessionId?: string;
  /** The only bearer accepted (see {@link LegacyChatSimulator.rotateBearer}). Default `sim-bearer`. */
  bearer?: string;
  /** Switches to start with (and to return to on {@link LegacyChatSimulator.clearFaults}). */
  switches?: Partial<LegacyChatSimulatorSwitches>;
  /** Clock for event times (epoch ms). Default: deterministic, from 2015-08-30T15:06:02.000Z, +1 ms per event. */
  now?: () => number;
  /** Skills offered for transfers. Default: `10` Sales (2 agents online), `11` Support (none online). */
  skills?: LegacySimSkill[];
}

/** Options of {@link LegacyChatSimulator.agentSays}: also `rich` lines, with their structured `json`. */
export interface LegacyAgentSaysOptions {
  /** Default `plain`. */
  format?: AgentSaysOptions['format'] | 'rich';
  /** The structured content of a `rich` line. */
  json?: unknown;
  /** The wire `textType` as is (e.g. `json`, `url`), overriding `format`. */
  textType?: string;
  /** An agent-only note: `subType: ONLY_TO_REP` (production-behaviour.md L8). */
  private?: boolean;
}

/** The options that point `legacyChatSource` at a simulator. */
export interface LegacyChatClientOptions {
  agentSessionUrl: string;
  bearer: string;
}

/**
 * A loopback HTTP server (127.0.0.1, a free port) that speaks the legacy Chat Agent API for one
 * agent session, from scripted chats. For tests and demos; not a production server.
 *
 * @example
 * ```ts
 * import { legacyChatSource, LegacyChatSimulator } from 'chatshift/legacy-chat';
 *
 * const sim = await LegacyChatSimulator.start();
 * const key = sim.openConversation();
 * sim.consumerSays(key, 'hello');
 * const sub = legacyChatSource({ ...sim.clientOptions(), chats: [key] }).subscribe(handle);
 * // … once the test has seen what it waits for:
 * sub.unsubscribe();
 * sim.assertNoPendingFaults();
 * await sim.close();
 * ```
 */
export class LegacyChatSimulator
  implements
    ConversationScript,
    SimulatorFaultControls<LegacyChatFault, LegacyChatSimulatorSwitches>,
    AccountMember
{
  /** The `{agent-session}` URL (also in {@link clientOptions}). */
  readonly agentSessionUrl: string;
  /** One-shot faults: `sim.faults.queue(fault, { times })`. */
  readonly faults: SimulatorFaultQueue<LegacyChatFault>;
  private readonly faultModel: FaultModel<LegacyChatFault, LegacyChatSimulatorSwitches>;
  private readonly script: ChatScript;
  private readonly writeState = new LegacyWriteState();
  private readonly routes: LegacyRouteContext;
  private readonly log: LegacyChatRequestRecord[] = [];
  private readonly unserved: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private bearer: string;
  private inFlightCount = 0;
  private readonly agentSessions: SimAgentSessions;
  private readonly accountId: string;
  private authority: AccountAuthority | undefined;

  private constructor(
    private readonly server: Server,
    basePath: string,
    opts: LegacyChatSimulatorOptions,
  ) {
    const port = (server.address() as AddressInfo).port;
    this.agentSessionUrl = `http://127.0.0.1:${port}${basePath}`;
    this.accountId = opts.accountId ?? '1234';
    this.faultModel = new FaultModel('LegacyChatSimulator', { ...DEFAULT_SWITCHES, ...opts.switches });
    this.faults = this.faultModel.queue;
    this.bearer = opts.bearer ?? 'sim-bearer';
    let t = Date.UTC(2015, 7, 30, 15, 6, 2, 0);
    this.script = new ChatScript(opts.now ?? (() => t++));
    const faults = this.faultModel;
    const sessionsPath = basePath.replace(/\/[^/]+$/, '');
    this.agentSessions = new SimAgentSessions(basePath.slice(sessionsPath.length + 1), this.script);
    this.routes = {
      origin: `http://127.0.0.1:${port}`,
      sessionsPath,
      chats: this.script,
      sessions: this.agentSessions,
      get switches() {
        return faults.switches;
      },
      accepts: (token) =>
        this.authority === undefined ? token === this.bearer : this.authority.accepts(token),
      takeFault: (route) =>
        this.faultModel.take((f) => (f.route ?? 'multichat') === 'any' || (f.route ?? 'multichat') === route),
      record: (r) => this.log.push(r),
      unexpected: (what) => this.unserved.push(what),
      later: (fn, ms) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          fn();
        }, ms);
        this.timers.add(timer);
      },
      writes: {
        chats: this.script,
        writes: this.writeState,
        chatUrl: (key) => `${this.agentSessionUrl}/chat/${encodeURIComponent(key)}`,
        append: (key, e) => this.script.append(key, e),
        agentTyping: (key, on) => this.typing(key, { who: 'agent', on }),
      },
    };
    if (opts.skills !== undefined) this.writeState.skills = opts.skills.map((x) => ({ ...x }));
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

  /** The options that point `legacyChatSource` at this simulator: the agent-session URL and the bearer it accepts now. */
  clientOptions(): LegacyChatClientOptions {
    return { agentSessionUrl: this.agentSessionUrl, bearer: this.bearer };
  }

  // ---- the shared script vocabulary ------------------------------------------------------

  /** Opens a chat (the canonical opening events); returns its chatSessionKey. */
  openConversation(options: LegacyOpenOptions = {}): string {
    return this.script.openChat(options);
  }
  /** The visitor writes a line; returns its event id. */
  consumerSays(key: string, text: string): number {
    return this.script.append(key, {
      type: 'line',
      source: 'visitor',
      by: 'visitor',
      textType: 'plain',
      text,
    });
  }
  /** The chat's agent writes a line (`by` = agent name); returns its event id. */
  agentSays(key: string, text: string, options: LegacyAgentSaysOptions = {}): number {
    const agent = this.script.get(key).agent;
    const format = options.format ?? 'plain';
    const e: Omit<SimEvent, 'id' | 'time'> = {
      type: 'line',
      source: 'agent',
      by: agent?.name ?? 'agent',
      textType: options.textType ?? (format === 'rich' ? 'rich-content' : format),
      text,
    };
    if (options.json !== undefined) e.json = options.json;
    if (options.private === true) e.subType = 'ONLY_TO_REP';
    return this.script.append(key, e);
  }
  /** Sets `info.visitorTyping` or `info.agentTyping`. */
  typing(key: string, options: TypingOptions = {}): void {
    const chat = this.script.get(key);
    if ((options.who ?? 'consumer') === 'consumer') chat.visitorTyping = options.on ?? true;
    else chat.agentTyping = options.on ?? true;
    this.script.touch(key);
  }
  /** Ends the chat: appends `state ended` (the resource stays); returns its event id. */
  closeConversation(key: string): number {
    return this.script.append(key, { type: 'state', state: 'ended' });
  }

  // ---- legacy-only steps -----------------------------------------------------------------

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
  /**
   * The chat leaves this agent session (transferred to another agent, or ended and purged): from
   * now on its key is unknown here (see the `unknownChatKey` switch). A ringing chat taken by
   * another agent leaves the same way.
   */
  chatLeaves(key: string): void {
    this.script.get(key);
    this.script.chats.delete(key);
  }
  /** Changes the chat's agent in `info` (a transfer), or removes it (`undefined`). */
  setAgent(key: string, agent: SimAgent | undefined): void {
    this.script.get(key).agent = agent === undefined ? undefined : { ...agent };
    this.script.touch(key);
  }
  /** A copy of a chat as the simulator holds it (its events, state, agent, typing, ringing). */
  chat(key: string): SimChat {
    return structuredClone(this.script.get(key));
  }
  /** Transfers accepted so far (copies), in order. */
  get transfers(): LegacySimTransfer[] {
    return structuredClone(this.writeState.transfers);
  }
  /** The agent's chat availability as last set: `Online` (default), `Away` or `Occupied`. */
  get availability(): string {
    return this.writeState.availability;
  }
  /** Sets how many agents of a skill are online (0: a transfer to it is refused). */
  setSkillAgents(skillId: number, onlineAgents: number): void {
    const skill = this.writeState.skills.find((x) => x.id === skillId);
    if (skill === undefined)
      this.writeState.skills.push({ id: skillId, name: `skill ${skillId}`, onlineAgents });
    else skill.onlineAgents = onlineAgents;
  }
  /** Agent lines of a chat as stored (to count what a bot sent), also of a chat transferred away. */
  agentLines(key: string): SimEvent[] {
    const chat = this.script.chats.get(key) ?? this.writeState.departed.get(key);
    return structuredClone((chat?.events ?? []).filter((e) => e.type === 'line' && e.source === 'agent'));
  }

  /** Only `token` is accepted from now on (simulates an expired bearer). */
  rotateBearer(token: string): void {
    this.bearer = token;
  }

  // ---- agent sessions and the account ----------------------------------------------------

  /**
   * The current agent session expires (apart from the bearer): its URL answers as the
   * `expiredAgentSession` switch says. With `continuity` (default) a new agent session lists its
   * open chats in `chatSessions` and takes them over; without, they return to the queue (ringing).
   */
  expireAgentSession(options: { continuity?: boolean } = {}): void {
    this.agentSessions.expire(options.continuity ?? true);
  }
  /** The URL of the current agent session (the first is {@link agentSessionUrl}). */
  get currentAgentSessionUrl(): string {
    return `${this.routes.origin}${this.routes.sessionsPath}/${this.agentSessions.current}`;
  }
  /** Agent sessions created through `POST /api/account/{a}/agentSession`. */
  get agentSessionsCreated(): number {
    return this.agentSessions.created;
  }
  /**
   * Joins an account run by a login simulator (`LoginSimulator.bundle`): from now on only its
   * valid tokens are accepted, this server also answers its Login Service (as production's
   * `agentVep` host does), and CSDS lists this host as `agentVep`.
   */
  joinAccount(authority: AccountAuthority): Record<string, string> {
    if (authority.accountId !== this.accountId)
      throw new Error(
        `LegacyChatSimulator: account ${this.accountId} cannot join account ${authority.accountId}`,
      );
    this.authority = authority;
    return { agentVep: new URL(this.routes.origin).host };
  }

  // ---- faults ----------------------------------------------------------------------------

  /** Current switches (a copy). */
  get switches(): Readonly<LegacyChatSimulatorSwitches> {
    return this.faultModel.snapshot();
  }
  /** Changes switches; they hold until changed again or {@link clearFaults}. */
  configure(switches: Partial<LegacyChatSimulatorSwitches>): void {
    this.faultModel.configure(switches);
  }
  /** Drops every queued fault and returns to the switches the simulator started with. */
  clearFaults(): void {
    this.faultModel.clear();
  }
  /** Throws, naming them, when queued faults never fired. */
  assertNoPendingFaults(): void {
    this.faultModel.assertNoPending();
  }
  /** Requests no route of the simulator serves (`METHOD /path`), in order; each was answered 404/405. */
  get unexpectedRequests(): readonly string[] {
    return this.unserved;
  }
  /**
   * Strict mode for tests: throws, naming them, when a client sent requests the simulator does not
   * serve (as undici's `MockAgent` fails on a request no interceptor matches).
   */
  assertNoUnexpectedRequests(): void {
    if (this.unserved.length > 0)
      throw new Error(`legacy simulator: unexpected requests: ${this.unserved.join(', ')}`);
  }

  // ---- observation -----------------------------------------------------------------------

  /** Every request received, in order of completion (a read-only view). */
  get requests(): readonly Readonly<LegacyChatRequestRecord>[] {
    return this.log;
  }
  /** Multi-chat requests received so far. */
  multiChatRequests(): Readonly<LegacyChatRequestRecord>[] {
    return this.log.filter((r) => r.route === 'multichat');
  }
  /** Requests being answered right now (0 when the client is idle). */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Stops the server and drops every open connection. */
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.authority?.serveLogin(req, res) === true) return;
    this.inFlightCount += 1;
    res.on('close', () => (this.inFlightCount -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(this.routes, req, res, Buffer.concat(chunks).toString('utf8')));
  }
}
