import { ChatshiftError } from '../../src/errors.js';
import { errorPaths } from '../../src/model/decode.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import type { Session } from '../../src/runtime/session.js';
import { assertSecureTransport, isLoopbackHost } from '../../src/runtime/transport-security.js';
import type { AgentSessionClient } from './client.js';
import { WireAgentSessionLocation, WireChatSessionEntry, WireChatSessions } from './wire.js';

/**
 * The agent session one poller (and the actions of its backend) works in, as the `actions`
 * code reads it: its URL, the `cookie` header its jar holds, and the bearer in use.
 */
export interface AgentSessionHandle {
  readonly url: string;
  readonly cookie: string | undefined;
  readonly bearer: string | undefined;
  /** Sends a request in this agent session (bearer, cookies, one retry with a fresh bearer on 401). */
  readonly client: AgentSessionClient;
}

/** Where the agent session comes from: a fixed URL (v1), or created through a session. */
export type AgentSessionSource =
  { kind: 'fixed'; url: string } | { kind: 'session'; session: Session; allowInsecureTransport: boolean };

/**
 * The legacy agent-session lifecycle (production-behaviour.md §2, L2, L3): without a fixed
 * `agentSessionUrl` it creates the agent session (`POST /api/account/{a}/agentSession` with
 * `{"loginData":""}`) on first use, and on {@link renew} creates a new one and reads its
 * `chatSessions`, whose chats (the old session's, when it was still alive for continuity) can be
 * followed on. The client's cookie jar is emptied with each new agent session (one jar per session).
 */
export class AgentSessionManager {
  private current: string | undefined;
  /** Agent sessions created by this manager. */
  created = 0;

  constructor(
    private readonly source: AgentSessionSource,
    private readonly client: AgentSessionClient,
    private readonly logger: Logger,
    private readonly metrics: Metrics,
  ) {
    if (source.kind === 'fixed') this.current = source.url;
  }

  /** Whether a lost agent session can be replaced (only one this manager created). */
  get renewable(): boolean {
    return this.source.kind === 'session';
  }

  /** The current agent-session URL, or '' before the first one exists. */
  get url(): string {
    return this.current ?? '';
  }

  handle(): AgentSessionHandle | undefined {
    if (this.current === undefined) return undefined;
    return {
      url: this.current,
      cookie: this.client.cookieHeader(),
      bearer: this.client.secrets()[0],
      client: this.client,
    };
  }

  /** The agent-session URL, creating the agent session first when there is none yet. */
  async ensure(signal: AbortSignal): Promise<string> {
    if (this.current !== undefined) return this.current;
    return this.create(signal);
  }

  /**
   * Replaces a lost agent session: creates a new one and answers the chat keys its
   * `chatSessions` lists (those it can be followed through).
   */
  async renew(signal: AbortSignal): Promise<Set<string>> {
    this.current = undefined;
    await this.create(signal);
    this.metrics.increment('agentSession.renewed');
    return this.chatSessions(signal);
  }

  /** The chat keys `chatSessions` lists for the current agent session (malformed entries reported and skipped). */
  async chatSessions(signal: AbortSignal): Promise<Set<string>> {
    const body = await this.client.json(
      'GET',
      `${this.url}/chatSessions?v=1&NC=true`,
      'chatSessions',
      signal,
    );
    const keys = new Set<string>();
    if (body === undefined) return keys;
    const list = WireChatSessions.decode(body);
    if (list._tag === 'Left') {
      this.logger.warn('legacy-chat: schema-invalid chatSessions response', {
        code: 'ERR_SCHEMA_INVALID',
        paths: errorPaths(list.left),
      });
      return keys;
    }
    for (const entry of list.right.chatSessions.chatSession ?? []) {
      const e = WireChatSessionEntry.decode(entry);
      if (e._tag === 'Right') keys.add(e.right.chatSessionKey);
      else
        this.logger.warn('legacy-chat: skipped a schema-invalid chatSessions entry', {
          code: 'ERR_SCHEMA_INVALID',
        });
    }
    return keys;
  }

  private async create(signal: AbortSignal): Promise<string> {
    if (this.source.kind === 'fixed') return this.source.url;
    const { session, allowInsecureTransport } = this.source;
    const host = await session.domain('agentVep');
    const scheme =
      isLoopbackHost(new URL(`https://${host}/`).hostname) || allowInsecureTransport ? 'http' : 'https';
    const at = new URL(
      `${scheme}://${host}/api/account/${encodeURIComponent(session.accountId)}/agentSession?v=1&NC=true`,
    );
    assertSecureTransport(at, allowInsecureTransport, 'agentVep');
    this.client.resetCookies();
    const body = await this.client.json('POST', at.toString(), 'agentSession', signal, '{"loginData":""}');
    const loc = WireAgentSessionLocation.decode(body);
    const link = loc._tag === 'Right' ? loc.right.agentSessionLocation.link : undefined;
    const href = Array.isArray(link) ? link[0]?.href : (link as { href: string } | undefined)?.href;
    let url: URL;
    try {
      url = new URL(href ?? '', at);
    } catch {
      throw new ChatshiftError(
        'ERR_SCHEMA_INVALID',
        'legacy-chat: the agent session was created without a usable location',
        {
          details: {
            paths: loc._tag === 'Left' ? errorPaths(loc.left) : ['agentSessionLocation/link/@href'],
          },
        },
      );
    }
    if (href === undefined || url.origin !== at.origin || !/\/agentSession\/[^/]+$/.test(url.pathname)) {
      throw new ChatshiftError(
        'ERR_SCHEMA_INVALID',
        'legacy-chat: the agent session location is not an agent-session URL on the agentVep host',
        {
          details: { paths: ['agentSessionLocation/link/@href'] },
        },
      );
    }
    this.current = `${url.origin}${url.pathname}`;
    this.created += 1;
    this.logger.info?.('legacy-chat: agent session created', { agentSessions: this.created });
    return this.current;
  }
}
