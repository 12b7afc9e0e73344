import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type {
  ConversationScript,
  ScriptRole,
  SimulatorFaultControls,
  SimulatorFaultQueue,
  TypingOptions,
} from '../../src/model/conversation-script.js';
import { FaultModel } from '../../src/runtime/fault-model.js';
import type { AccountAuthority, AccountMember } from '../../src/runtime/simulated-account.js';
import { burst, type MessagingBurstOptions } from './simulator-burst.js';
import { createHttpHandler } from './simulator-http.js';
import { SimModel, type SimConversation, type SimOriginator, type SimRole } from './simulator-model.js';
import { handleRequest, liveReach, type RequestContext } from './simulator-requests.js';
import type {
  MessagingFromOptions,
  MessagingAgentSaysOptions,
  MessagingClientOptions,
  MessagingOpenOptions,
  MessagingSimulatorOptions,
} from './simulator-options.js';
import { SimSockets, type FrameLogEntry, type MessagingRequestRecord } from './simulator-sockets.js';
import { SimSubscriptions } from './simulator-subscriptions.js';
import { DEFAULT_AGENT_PROFILE, SimProfiles, type MessagingAgentProfile } from './simulator-profiles.js';
import { SimWrites, type SimRing } from './simulator-writes.js';
import {
  DEFAULT_SWITCHES,
  type MessagingFault,
  type MessagingSimulatorSwitches,
} from './simulator-switches.js';

/**
 * A loopback Messaging agent server: a real `ws` server on 127.0.0.1 (port 0) with CSDS, login and
 * refresh beside it. It speaks the `.ams.*` dialect and the public names, plays scripted
 * conversations, has switches and one-shot faults, and logs every frame.
 *
 * @example
 * ```ts
 * import { messaging, MessagingSimulator } from 'chatshift/messaging';
 *
 * const sim = await MessagingSimulator.start();
 * const conv = sim.openConversation(); // assigned to the simulator's agent
 * sim.consumerSays(conv, 'hello');
 * const sub = messaging(sim.clientOptions()).events().subscribe(handle);
 * // … once the test has seen what it waits for:
 * sub.unsubscribe();
 * sim.assertNoPendingFaults();
 * await sim.close();
 * ```
 */
export class MessagingSimulator
  implements
    ConversationScript,
    SimulatorFaultControls<MessagingFault, MessagingSimulatorSwitches>,
    AccountMember
{
  /** `127.0.0.1:{port}` (also in {@link clientOptions}). */
  readonly domain: string;
  readonly accountId: string;
  /** The agent's old-style id, `{accountId}.{agentUserId}`: pass as `agentId`. */
  readonly agentId: string;
  /** The first accepted bearer (also in {@link clientOptions}). */
  readonly token: string;
  /** One-shot faults: `sim.faults.queue(fault, { times })`. */
  readonly faults: SimulatorFaultQueue<MessagingFault>;

  private readonly faultModel: FaultModel<MessagingFault, MessagingSimulatorSwitches>;
  private readonly model = new SimModel();
  private readonly sockets: SimSockets;
  private readonly subscriptions: SimSubscriptions;
  private readonly requestContext: RequestContext;
  private readonly writes: SimWrites;
  private readonly profiles: SimProfiles;
  private readonly http: Array<{ method: string; path: string; status: number }> = [];
  private readonly unserved: string[] = [];
  private readonly tokens: Set<string>;
  private nextToken = 2;
  private authority: AccountAuthority | undefined;

  private constructor(
    private readonly server: Server,
    port: number,
    o: Required<Omit<MessagingSimulatorOptions, 'switches' | 'ringExpiryMs' | 'skills' | 'profiles'>> & {
      switches: Partial<MessagingSimulatorSwitches> | undefined;
      ringExpiryMs: number | undefined;
      profiles: Record<string, MessagingAgentProfile> | undefined;
    },
  ) {
    this.domain = `127.0.0.1:${port}`;
    this.accountId = o.accountId;
    this.agentId = `${o.accountId}.${o.agentUserId}`;
    this.tokens = new Set(o.tokens);
    this.token = o.tokens[0] ?? 'TOKEN-1';
    this.faultModel = new FaultModel('MessagingSimulator', { ...DEFAULT_SWITCHES, ...o.switches });
    this.faults = this.faultModel.queue;
    this.sockets = new SimSockets(this.faultModel, o.frameLog);
    const switches = () => this.faultModel.switches;
    this.subscriptions = new SimSubscriptions(this.model, this.sockets, switches);
    this.writes = new SimWrites({
      model: this.model,
      sockets: this.sockets,
      subscriptions: this.subscriptions,
      agentId: this.agentId,
      accountId: o.accountId,
      live: (conv, record) => this.live(conv, record),
    });
    if (o.ringExpiryMs !== undefined) this.writes.ringExpiryMs = o.ringExpiryMs;
    this.profiles = new SimProfiles(this.agentId, o.profiles ?? { [this.agentId]: DEFAULT_AGENT_PROFILE });
    this.requestContext = {
      model: this.model,
      sockets: this.sockets,
      subscriptions: this.subscriptions,
      switches,
      agentId: this.agentId,
      takeRequestFault: (type) =>
        this.faultModel.take((f) => 'request' in f && type.endsWith(f.request)) as
          Extract<MessagingFault, { request: string }> | undefined,
      unexpected: (what) => this.unserved.push(what),
      writes: this.writes,
      profiles: this.profiles,
    };
  }

  /** Starts the simulator on 127.0.0.1 with an ephemeral port. */
  static async start(options: MessagingSimulatorOptions = {}): Promise<MessagingSimulator> {
    const o = {
      accountId: options.accountId ?? '123',
      agentUserId: options.agentUserId ?? '77',
      tokens: options.tokens ?? ['TOKEN-1'],
      frameLog: options.frameLog ?? true,
      switches: options.switches,
      ringExpiryMs: options.ringExpiryMs,
      profiles: options.profiles,
    };
    // eslint-disable-next-line prefer-const -- assigned once the port is known; handlers read it later
    let sim: MessagingSimulator | undefined;
    const server = createServer(
      createHttpHandler({
        accountId: o.accountId,
        agentUserId: o.agentUserId,
        domain: () => sim?.domain ?? '',
        issueToken: () => sim?.issueToken() ?? '',
        log: (e) => sim?.http.push(e),
        unexpected: (what) => sim?.unserved.push(what),
        messagingServices: () => {
          const which = sim?.switches.csdsMessagingService ?? 'both';
          return which === 'both' ? ['asyncMessagingEnt', 'facadeMsg'] : [which];
        },
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    sim = new MessagingSimulator(server, port, o);
    server.on('upgrade', (req, socket: Socket, head) => sim?.upgrade(req, socket, head));
    return sim;
  }

  /** The options that point `messagingSource` at this simulator (with the first bearer). */
  clientOptions(): MessagingClientOptions {
    return { accountId: this.accountId, domain: this.domain, bearer: this.token };
  }

  // ---- tokens ----------------------------------------------------------------------------

  /**
   * Sets the profile `GetUserProfile` answers for an agent (old-style id): its first and last name
   * become the agent's `name` in chatshift's events.
   */
  setProfile(agentId: string, profile: MessagingAgentProfile): void {
    this.profiles.set(agentId, profile);
  }

  /** Issues a new valid bearer (login does this too). */
  issueToken(): string {
    const t = `TOKEN-${this.nextToken++}`;
    this.tokens.add(t);
    return t;
  }

  /**
   * Revokes a bearer and ends its sockets: with `closeCode`, or by default as the
   * `revocationClose` switch says (4401, or `'abrupt'`: destroyed without a close frame, 1006 to
   * the client; the next handshake with that token gets 401). `closeCode: 'abrupt'` forces that.
   */
  revokeToken(token: string, options: { closeCode?: number | 'abrupt' } = {}): void {
    this.tokens.delete(token);
    const how = options.closeCode ?? this.faultModel.switches.revocationClose;
    for (const c of this.sockets.clients)
      if (c.token === token) {
        if (how === 'abrupt') c.ws.terminate();
        else c.ws.close(how, 'token revoked');
      }
  }

  /**
   * Joins an account run by a login simulator (`LoginSimulator.bundle`): from now on only its
   * valid tokens open a socket, and a token it revokes ends its sockets (`revocationClose`).
   * CSDS lists this host as `facadeMsg` and `asyncMessagingEnt`.
   */
  joinAccount(authority: AccountAuthority): Record<string, string> {
    if (authority.accountId !== this.accountId)
      throw new Error(
        `MessagingSimulator: account ${this.accountId} cannot join account ${authority.accountId}`,
      );
    this.authority = authority;
    authority.onRevoked((token) => this.revokeToken(token));
    return { facadeMsg: this.domain, asyncMessagingEnt: this.domain };
  }

  // ---- the shared script vocabulary ------------------------------------------------------

  /** Opens a conversation, assigned (state open) unless `waiting`. Returns its id. */
  openConversation(options: MessagingOpenOptions = {}): string {
    const agent = options.waiting === true ? undefined : (options.agentId ?? this.agentId);
    const conv = this.model.open(options.id, options.consumerId ?? 'cons-1', agent);
    this.subscriptions.publishChange(conv);
    return conv.id;
  }

  /** A consumer text message (in the MAIN dialog, or in `dialogId`); returns its sequence. */
  consumerSays(conversationId: string, text: string, options: { dialogId?: string } = {}): number {
    const seq = this.sequenced(
      conversationId,
      this.who(conversationId, 'consumer'),
      { type: 'ContentEvent', contentType: 'text/plain', message: text },
      {},
      options.dialogId,
    );
    this.writes.consumerMessaged(this.model.get(conversationId));
    return seq;
  }

  /**
   * Opens a non-main dialog (DialogChange ADD; default a `POST_SURVEY`) with its own id and
   * sequences (M1); returns its id. The conversation stays open until its last dialog closes.
   */
  openDialog(conversationId: string, options: { type?: string } = {}): string {
    const conv = this.model.get(conversationId);
    const d = this.model.openDialog(conv, options.type ?? 'POST_SURVEY');
    this.subscriptions.publishChange(conv);
    return d.id;
  }

  /** Closes one dialog (the MAIN one is the conversation id); after the last, the conversation closes. */
  closeDialog(conversationId: string, dialogId: string): void {
    const conv = this.model.get(conversationId);
    if (dialogId === conv.id) conv.mainState = 'CLOSE';
    else {
      const d = conv.dialogs.find((x) => x.id === dialogId);
      if (d === undefined) throw new Error(`unknown dialog ${dialogId}`);
      d.state = 'CLOSE';
    }
    if (conv.mainState === 'CLOSE' && conv.dialogs.every((d) => d.state === 'CLOSE')) {
      conv.state = 'CLOSE';
      conv.endTs = this.model.now();
    }
    this.subscriptions.publishChange(conv);
  }

  /** Non-main dialog ids of a conversation, in opening order. */
  dialogIds(conversationId: string): string[] {
    return this.model.get(conversationId).dialogs.map((d) => d.id);
  }

  /** Sequenced records of a non-main dialog (copies). */
  dialogHistory(dialogId: string): Array<Record<string, unknown>> {
    const h = this.model.holder(dialogId);
    if (h === undefined) throw new Error(`unknown dialog ${dialogId}`);
    return structuredClone(this.model.history(h.dialog ?? h.conv, 0, false));
  }

  /** An agent text message (default agent: the simulator's agent); returns its sequence. */
  agentSays(conversationId: string, text: string, options: MessagingAgentSaysOptions = {}): number {
    const contentType = options.format === 'html' ? 'text/html' : 'text/plain';
    return this.sequenced(
      conversationId,
      { id: options.agentId ?? this.agentId, role: 'ASSIGNED_AGENT' },
      { type: 'ContentEvent', contentType, message: text },
      {
        ...(options.audience === 'agents' ? { messageAudience: 'AGENTS_AND_MANAGERS' } : {}),
        ...(options.externalId === undefined
          ? {}
          : { metadata: [{ type: 'ExternalId', id: options.externalId }] }),
      },
      options.dialogId,
    );
  }

  /** A ChatStateEvent: `COMPOSING` when typing starts, `ACTIVE` when it stops. */
  typing(conversationId: string, options: TypingOptions = {}): void {
    this.chatState(conversationId, (options.on ?? true) ? 'COMPOSING' : 'ACTIVE', {
      who: options.who ?? 'consumer',
    });
  }

  /** Closes a conversation (UPSERT CLOSE for `CLOSE` subscribers, DELETE for the others). */
  closeConversation(conversationId: string): void {
    const conv = this.model.get(conversationId);
    conv.state = 'CLOSE';
    conv.endTs = this.model.now();
    this.subscriptions.publishChange(conv);
  }

  // ---- messaging-only steps --------------------------------------------------------------

  /** A ChatStateEvent with any chat state (unsequenced; only `COMPOSING` is typing). Default from the consumer. */
  chatState(conversationId: string, chatState: string, options: MessagingFromOptions = {}): void {
    const conv = this.model.get(conversationId);
    const from = this.who(conversationId, options.who ?? 'consumer');
    this.live(conv, this.model.record(conv, from, { type: 'ChatStateEvent', chatState }, false));
  }

  /** A RichContentEvent (structured content), by default from the agent; returns its sequence. */
  richContent(
    conversationId: string,
    content: Record<string, unknown>,
    options: MessagingFromOptions = {},
  ): number {
    return this.sequenced(conversationId, this.who(conversationId, options.who ?? 'agent'), {
      type: 'RichContentEvent',
      content,
    });
  }

  /** An AcceptStatusEvent (consumes a sequence), by default from the consumer; returns its sequence. */
  receipt(
    conversationId: string,
    status: 'ACCEPT' | 'READ' | 'ACCESS' | 'NACK',
    sequenceList: number[],
    options: MessagingFromOptions = {},
  ): number {
    return this.sequenced(conversationId, this.who(conversationId, options.who ?? 'consumer'), {
      type: 'AcceptStatusEvent',
      status,
      sequenceList,
    });
  }

  /** A participant joins (`ASSIGNED_AGENT` assigns the conversation). */
  join(conversationId: string, role: SimRole, userId: string): void {
    const conv = this.model.get(conversationId);
    if (!conv.participants[role].includes(userId)) conv.participants[role].push(userId);
    this.subscriptions.publishChange(conv);
  }

  /** A participant leaves. */
  leave(conversationId: string, role: SimRole, userId: string): void {
    const conv = this.model.get(conversationId);
    conv.participants[role] = conv.participants[role].filter((id) => id !== userId);
    this.subscriptions.publishChange(conv);
  }

  /** Consumes `n` sequences nobody sees (a private message): a hole the server confirms empty. */
  skipSequences(conversationId: string, n: number): void {
    this.model.get(conversationId).seq += n;
  }

  /**
   * A burst of `perConversation` text messages in each of `conversationIds`, interleaved, frames
   * pre-built and sent in batches of `batchSize` per event-loop turn. Each message enters the
   * history when its batch is sent.
   */
  burst(options: MessagingBurstOptions): Promise<void> {
    return burst(this.model, this.sockets, options);
  }

  /** Conversation ids known to the simulator. */
  get conversationIds(): string[] {
    return [...this.model.conversations.keys()];
  }

  /** Sequenced records of a conversation, as QueryMessages would return them (copies). */
  history(conversationId: string): Array<Record<string, unknown>> {
    return structuredClone(this.model.history(this.model.get(conversationId), 0, false));
  }

  // ---- the write side --------------------------------------------------------------------

  /** The agent state last set by `SetAgentState` (default `ONLINE`). */
  get agentState(): string {
    return this.writes.agentState;
  }
  /** Rings so far (copies): waiting, accepted, rejected, expired or cancelled. */
  get rings(): SimRing[] {
    return structuredClone([...this.writes.rings.values()]);
  }
  /** Transfers accepted so far (copies), in order. */
  get transfers(): Array<{ conversationId: string; skillId?: string; agentId?: string }> {
    return structuredClone(this.writes.transfers);
  }
  /** Sets how many agents of a skill are online (0: a transfer to it is refused). */
  setSkillAgents(skillId: string, onlineAgents: number): void {
    const skill = this.writes.skills.find((x) => x.id === skillId);
    if (skill === undefined) this.writes.skills.push({ id: skillId, onlineAgents });
    else skill.onlineAgents = onlineAgents;
  }
  /** Another agent takes a waiting conversation (TakeOver): its rings are cancelled. */
  takenElsewhere(conversationId: string, otherAgentId = `${this.accountId}.99`): void {
    this.writes.takenElsewhere(conversationId, otherAgentId);
  }
  /** Records of the MAIN dialog carrying this `ExternalId` (to count what a bot sent). */
  withExternalId(conversationId: string, externalId: string): Array<Record<string, unknown>> {
    return this.history(conversationId).filter((r) =>
      ((r['metadata'] as Array<{ type?: string; id?: string }> | undefined) ?? []).some(
        (m) => m.type === 'ExternalId' && m.id === externalId,
      ),
    );
  }

  // ---- faults ----------------------------------------------------------------------------

  /** Current switches (a copy). */
  get switches(): Readonly<MessagingSimulatorSwitches> {
    return this.faultModel.snapshot();
  }
  /** Changes switches; they hold until changed again or {@link clearFaults}. */
  configure(switches: Partial<MessagingSimulatorSwitches>): void {
    this.faultModel.configure(switches);
  }
  /** Drops every queued fault and returns to the switches the simulator started with. Open sockets stay open. */
  clearFaults(): void {
    this.faultModel.clear();
  }
  /** Throws, naming them, when queued faults never fired. */
  assertNoPendingFaults(): void {
    this.faultModel.assertNoPending();
  }
  /** Frames and HTTP requests the simulator does not serve, in order (answered with an error, or dropped). */
  get unexpectedRequests(): readonly string[] {
    return this.unserved;
  }
  /**
   * Strict mode for tests: throws, naming them, when a client sent frames or HTTP requests the
   * simulator does not serve (as undici's `MockAgent` fails on a request no interceptor matches).
   */
  assertNoUnexpectedRequests(): void {
    if (this.unserved.length > 0)
      throw new Error(`messaging simulator: unexpected requests: ${this.unserved.join(', ')}`);
  }

  // ---- connections and raw frames --------------------------------------------------------

  /** Destroys every socket without a close frame (a network drop; the client sees 1006). */
  dropConnections(): void {
    for (const c of this.sockets.clients) c.ws.terminate();
  }

  /** Closes every socket with `code` (4401, 4407, 1011, 1000, …). */
  closeConnections(code: number, options: { reason?: string } = {}): void {
    for (const c of this.sockets.clients) c.ws.close(code, options.reason ?? '');
  }

  /** Sends raw text to every socket (invalid frames, unknown types, oversize frames). */
  sendRawToAll(text: string): void {
    for (const c of this.sockets.clients) this.sockets.sendRaw(c, text);
  }

  /** Number of open sockets. */
  get connectionCount(): number {
    return this.sockets.clients.size;
  }
  /**
   * Frames received on a socket while a socket accepted after it was open: the agent's connection
   * opened twice, and the older one still talking. The simulator serves one agent user, so this is
   * what the one-connection-per-agent rule (M8) forbids; an old socket that is merely still open
   * (its process stopped, say) and silent does not count.
   */
  get framesOnSupersededSockets(): number {
    return this.sockets.supersededFrames;
  }
  /** Number of sockets accepted so far. */
  get connectionsOpened(): number {
    return this.sockets.opened;
  }
  /** Number of conversation subscription answers actually sent so far (one delayed past its socket's close is not). */
  get subscriptionsAnswered(): number {
    return this.subscriptions.answered;
  }
  /** Every frame in and out, when the frame log is on (a read-only view). */
  get frames(): readonly Readonly<FrameLogEntry>[] {
    return this.sockets.frames;
  }
  /** HTTP requests served: CSDS, login, refresh (a read-only view). */
  get httpLog(): ReadonlyArray<Readonly<{ method: string; path: string; status: number }>> {
    return this.http;
  }

  /** Parsed client requests from the frame log, optionally of one type. */
  requests(type?: string): MessagingRequestRecord[] {
    return this.sockets.loggedRequests(type);
  }

  /** Stops the server and every socket. */
  async close(): Promise<void> {
    this.writes.close();
    this.sockets.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private upgrade(req: Parameters<SimSockets['upgrade']>[0], socket: Socket, head: Buffer): void {
    this.sockets.upgrade(req, socket, head, {
      accountId: this.accountId,
      knows: (token) =>
        this.authority === undefined ? this.tokens.has(token) : this.authority.accepts(token),
      onMessage: (client, text) => handleRequest(this.requestContext, client, text),
    });
  }

  private sequenced(
    conversationId: string,
    from: SimOriginator,
    event: Record<string, unknown>,
    extra: { messageAudience?: string; metadata?: unknown[] } = {},
    dialogId?: string,
  ): number {
    const conv = this.model.get(conversationId);
    const dialog = dialogId === undefined ? undefined : conv.dialogs.find((d) => d.id === dialogId);
    if (dialogId !== undefined && dialog === undefined) throw new Error(`unknown dialog ${dialogId}`);
    const r = this.model.record(conv, from, event, true, extra, dialog);
    this.live(conv, r);
    return r['sequence'] as number;
  }

  /** A live event to the sockets that may see it (the `liveEventsTo` switch). */
  private live(conv: SimConversation, record: Record<string, unknown>): void {
    this.sockets.liveEvent(record, liveReach(this.model, this.faultModel.switches, conv, this.agentId));
  }

  private who(conversationId: string, from: ScriptRole): SimOriginator {
    const conv = this.model.get(conversationId);
    return from === 'consumer'
      ? { id: conv.participants.CONSUMER[0] ?? 'cons-1', role: 'CONSUMER' }
      : { id: conv.participants.ASSIGNED_AGENT[0] ?? this.agentId, role: 'ASSIGNED_AGENT' };
  }
}
