// Agents' display names on the Messaging backend: `.ams.userprofile.GetUserProfile`, asked once per
// agent id, cached (bounded), and filled into events only when already known — never awaited.
import type { ChatshiftError } from '../../src/errors.js';
import type { ConversationEvent } from '../../src/model/event.js';
import type { Participant } from '../../src/model/participant.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import type { Session } from './connection.js';

/** The request type (agent socket, `.ams.*` dialect); its body is `{ userId }` (`{}` = oneself). */
export const GET_USER_PROFILE = '.ams.userprofile.GetUserProfile';

/** How many agent ids the cache keeps (names and "has none"); the oldest entry goes first. */
export const PROFILE_CACHE_SIZE = 1000;
/** Lookups in flight at once; an agent seen while the limit is reached is asked at its next event. */
export const PROFILE_LOOKUPS_IN_FLIGHT = 4;
/** After a failed lookup, the same agent id is not asked again for this long. */
export const PROFILE_RETRY_AFTER_MS = 5 * 60_000;

/**
 * The display name in a GetUserProfile answer: `nickname` (what consumers see, when the server
 * sends it), else `firstName lastName`. `undefined` when the profile carries no name.
 */
export function profileName(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const b = body as Record<string, unknown>;
  const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
  const nick = text(b['nickname']) || text(b['nickName']);
  if (nick !== '') return nick;
  const full = [text(b['firstName']), text(b['lastName'])].filter((s) => s !== '').join(' ');
  return full === '' ? undefined : full;
}

/** What the name cache needs from the source around it. */
export interface AgentNamesDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Scheduler time in ms (for the retry delay after a failure). */
  readonly now: () => number;
  /** Deadline of one lookup in ms (the connection's request timeout when not given). */
  readonly timeoutMs?: number;
  readonly cacheSize?: number;
  readonly inFlight?: number;
}

type Entry = { name: string | undefined } | { failedAt: number };

/**
 * Agent display names for one `events()` subscription. `fill(event)` returns the event with the
 * agent's `name` when it is already known and otherwise starts a lookup and returns the event as
 * it is: an event is never held for a name, so a slow or failed lookup cannot delay, reorder or
 * stall anything (the checkpoint cursor has already moved past an event when it is emitted, so
 * holding one back would also widen what a crash loses). Lookups start as early as possible — the
 * subscriber's own agent when a socket opens, any other agent at its first event (usually the
 * `participant joined` that precedes its messages) — so in practice only that first event goes
 * out without the name.
 */
export class AgentNames {
  private readonly cache = new Map<string, Entry>();
  private readonly pending = new Set<string>();
  private readonly size: number;
  private readonly maxInFlight: number;
  private session: Session | undefined;

  constructor(private readonly deps: AgentNamesDeps) {
    this.size = deps.cacheSize ?? PROFILE_CACHE_SIZE;
    this.maxInFlight = deps.inFlight ?? PROFILE_LOOKUPS_IN_FLIGHT;
  }

  /**
   * A socket opened: lookups go over it (a socket that went starts none, and a lookup it failed
   * is asked again on the next one); the subscriber's own agent, when known, is asked now.
   */
  connected(session: Session, ownAgentId: string | undefined): void {
    this.session = session;
    if (ownAgentId !== undefined) this.lookup(ownAgentId);
  }

  /** The name already known for `agentId` (`undefined` when none or not yet known). */
  nameOf(agentId: string): string | undefined {
    const e = this.cache.get(agentId);
    return e !== undefined && 'name' in e ? e.name : undefined;
  }

  /** `event` with its agent's or manager's `name` filled in when known; else `event` itself. */
  fill(event: ConversationEvent): ConversationEvent {
    if (event.type === 'message') {
      const from = this.named(event.from);
      return from === event.from ? event : { ...event, from };
    }
    if (event.type === 'state') return event;
    const participant = this.named(event.participant);
    return participant === event.participant ? event : { ...event, participant };
  }

  private named(p: Participant): Participant {
    if ((p.role !== 'agent' && p.role !== 'manager') || p.id === undefined || p.name !== undefined) return p;
    const name = this.nameOf(p.id);
    if (name !== undefined) return { ...p, name };
    this.lookup(p.id);
    return p;
  }

  private lookup(id: string): void {
    const s = this.session;
    if (s === undefined || !s.alive || this.pending.has(id)) return;
    if (this.pending.size >= this.maxInFlight) return;
    const known = this.cache.get(id);
    if (
      known !== undefined &&
      !('failedAt' in known && this.deps.now() - known.failedAt >= PROFILE_RETRY_AFTER_MS)
    )
      return;
    this.pending.add(id);
    this.deps.metrics.increment('profiles.lookups');
    s.request(GET_USER_PROFILE, { userId: id }, this.deps.timeoutMs).then(
      (resp) => {
        this.pending.delete(id);
        const name = profileName(resp.body);
        this.remember(id, { name });
        if (name === undefined)
          this.deps.logger.debug?.('messaging: agent profile has no name', { agentId: id });
      },
      (e: ChatshiftError) => {
        this.pending.delete(id);
        // The socket went meanwhile: not the agent's fault; asked again on the next socket.
        if (!s.alive) return;
        const first = this.cache.get(id) === undefined;
        this.remember(id, { failedAt: this.deps.now() });
        this.deps.metrics.increment('profiles.failed');
        // Once per agent id: its events go on without the name; asked again after PROFILE_RETRY_AFTER_MS.
        if (first)
          this.deps.logger.warn(
            'messaging: agent profile lookup failed; events show the agent without a name',
            {
              code: e.code,
              agentId: id,
              message: e.message,
            },
          );
      },
    );
  }

  private remember(id: string, entry: Entry): void {
    this.cache.delete(id);
    this.cache.set(id, entry);
    while (this.cache.size > this.size) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }
}
