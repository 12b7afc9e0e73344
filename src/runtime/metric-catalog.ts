/**
 * The metric-name catalog: every name chatshift passes to a {@link Metrics} sink (its `key`), the
 * OpenTelemetry instrument it becomes (`name`, kind, unit, description) and the only attribute
 * keys it may carry. OTel messaging semantic-convention names are used where one exists; the rest
 * are `chatshift.*`. docs/operations.md lists the same table (a test keeps them equal, and another
 * checks that every name the code emits is here).
 *
 * No attribute identifies a conversation, a dialog, a consumer or an agent: the allowed keys are
 * all low-cardinality (`openTelemetryMetrics` drops any other attribute).
 */

/** How an instrument aggregates. */
export type MetricKind = 'counter' | 'histogram' | 'gauge';

/** One catalog entry. */
export interface MetricSpec {
  /** The name code passes to `Metrics` (and `counterMetrics().snapshot()` shows). */
  readonly key: string;
  /** The OpenTelemetry instrument name. */
  readonly name: string;
  readonly kind: MetricKind;
  /** UCUM unit: `s` for durations, `{message}`-style annotations for counts. */
  readonly unit: string;
  readonly description: string;
  /** The attribute keys this metric may carry (any other is dropped). */
  readonly attributes: readonly string[];
  /** Attributes every data point of the instrument carries (semantic-convention constants). */
  readonly constant?: Readonly<Record<string, string>>;
  /** Who emits it: `core`, `legacy-chat`, `messaging`, `actions`, `redis` (the last two after merge). */
  readonly emittedBy: string;
}

/** `chatshift.backend`: `legacy-chat` or `messaging`. */
export const BACKEND_ATTR = 'chatshift.backend';
/** Semantic-convention attributes. */
export const OPERATION_ATTR = 'messaging.operation.name';
export const ERROR_TYPE_ATTR = 'error.type';

const B = BACKEND_ATTR;
const LP = { 'messaging.system': 'liveperson' } as const;

const spec = (
  key: string,
  name: string,
  kind: MetricKind,
  unit: string,
  emittedBy: string,
  description: string,
  attributes: readonly string[] = [B],
  constant?: Record<string, string>,
): MetricSpec =>
  Object.freeze({
    key,
    name,
    kind,
    unit,
    emittedBy,
    description,
    attributes: Object.freeze([...attributes]),
    ...(constant === undefined ? {} : { constant: Object.freeze({ ...constant }) }),
  });

/** The catalog, in the order docs/operations.md lists it. */
export const metricCatalog: readonly MetricSpec[] = Object.freeze([
  // OpenTelemetry messaging semantic conventions
  spec(
    'events.emitted',
    'messaging.client.consumed.messages',
    'counter',
    '{message}',
    'legacy-chat, messaging',
    'Events delivered downstream by a source.',
    [B],
    { ...LP, [OPERATION_ATTR]: 'receive' },
  ),
  spec(
    'operation.duration',
    'messaging.client.operation.duration',
    'histogram',
    's',
    'legacy-chat, messaging',
    'Duration of one request to LivePerson: an HTTP request (legacy) or a request frame until its response (messaging).',
    [B, OPERATION_ATTR, ERROR_TYPE_ATTR],
    LP,
  ),
  spec(
    'process.duration',
    'messaging.process.duration',
    'histogram',
    's',
    'core (flowControl)',
    "Duration of the application's handler for one event (`flow.process(handler)`).",
    [B, ERROR_TYPE_ATTR],
    { ...LP, [OPERATION_ATTR]: 'process' },
  ),
  // Delivery
  spec(
    'event.delay',
    'chatshift.event.delay',
    'histogram',
    's',
    'core (conversationEvents)',
    "Time from an event's `time` to its delivery by conversationEvents (negative skew counts as 0).",
    [B, 'chatshift.event.type'],
  ),
  spec(
    'events.duplicates',
    'chatshift.events.duplicates',
    'counter',
    '{event}',
    'legacy-chat, messaging',
    'Wire events dropped as already delivered.',
  ),
  spec(
    'cutover.duplicates',
    'chatshift.cutover.duplicates',
    'counter',
    '{event}',
    'core (conversationEvents)',
    "Events conversationEvents' safety-net dedupe dropped (a source bug if ever > 0).",
  ),
  spec(
    'items.invalid',
    'chatshift.items.invalid',
    'counter',
    '{item}',
    'legacy-chat, messaging',
    'Wire items skipped as malformed or schema-invalid.',
  ),
  spec(
    'gaps',
    'chatshift.gaps',
    'counter',
    '{gap}',
    'legacy-chat, messaging',
    'Sequence holes detected (then backfilled or confirmed empty).',
  ),
  spec(
    'held.dropped',
    'chatshift.held.dropped',
    'counter',
    '{event}',
    'messaging',
    'Out-of-order events dropped after waiting for a hole to fill.',
  ),
  spec(
    'conversations.open',
    'chatshift.conversations.open',
    'gauge',
    '{conversation}',
    'core (checkpoint)',
    'Conversations a backend follows that are not closed, as last checkpointed.',
  ),
  spec(
    'flow.paused',
    'chatshift.flow.paused',
    'counter',
    '{pause}',
    'legacy-chat, messaging',
    'Times a source waited because the consumer was behind (flowControl).',
  ),
  // Transport
  spec(
    'http.requests',
    'chatshift.http.requests',
    'counter',
    '{request}',
    'legacy-chat',
    'HTTP requests sent.',
  ),
  spec(
    'ws.frames.in',
    'chatshift.ws.frames.in',
    'counter',
    '{frame}',
    'messaging',
    'WebSocket frames received.',
  ),
  spec(
    'ws.frames.out',
    'chatshift.ws.frames.out',
    'counter',
    '{frame}',
    'messaging',
    'WebSocket frames sent.',
  ),
  spec('ws.connects', 'chatshift.ws.connects', 'counter', '{connection}', 'messaging', 'Sockets opened.'),
  spec(
    'reconnects',
    'chatshift.reconnects',
    'counter',
    '{attempt}',
    'messaging',
    'Reconnect attempts scheduled after a socket closed or failed to open.',
  ),
  spec(
    'retries',
    'chatshift.retries',
    'counter',
    '{attempt}',
    'legacy-chat',
    'Failed requests or poll cycles that will be retried.',
  ),
  spec(
    'requests.rateLimited',
    'chatshift.requests.rate_limited',
    'counter',
    '{request}',
    'messaging',
    'Requests the server refused as over its rate limit (retried later).',
  ),
  spec(
    'profiles.lookups',
    'chatshift.profiles.lookups',
    'counter',
    '{request}',
    'messaging',
    "Agent profile lookups (GetUserProfile) sent to fill agents' display names.",
  ),
  spec(
    'profiles.failed',
    'chatshift.profiles.failed',
    'counter',
    '{request}',
    'messaging',
    'Agent profile lookups that failed or timed out (the events went out without the name).',
  ),
  spec(
    'batches.split',
    'chatshift.batches.split',
    'counter',
    '{split}',
    'legacy-chat',
    'Multi-chat requests split in halves to isolate a refused chat.',
  ),
  spec(
    'chats.dropped',
    'chatshift.chats.dropped',
    'counter',
    '{chat}',
    'legacy-chat',
    'Chats dropped because the server refuses them alone.',
  ),
  spec(
    'accept.lost',
    'chatshift.accept.lost',
    'counter',
    '{chat}',
    'legacy-chat',
    'Accepts whose answer was lost (the chat is recovered or reported).',
  ),
  spec(
    'accept.recovered',
    'chatshift.accept.recovered',
    'counter',
    '{chat}',
    'legacy-chat',
    'Chats of a lost accept answer found in chatSessions and followed.',
  ),
  spec(
    'chats.lost',
    'chatshift.chats.lost',
    'counter',
    '{chat}',
    'legacy-chat',
    'Chats returned to the queue with an expired agent session (logged at error level).',
  ),
  spec(
    'agentSession.renewed',
    'chatshift.agent_session.renewed',
    'counter',
    '{session}',
    'legacy-chat',
    'Legacy agent sessions re-created after theirs expired.',
  ),
  spec(
    'login.requests',
    'chatshift.login.requests',
    'counter',
    '{request}',
    'login',
    'Login requests sent (first logins, re-logins and their retries).',
    [],
  ),
  spec(
    'login.logins',
    'chatshift.login.logins',
    'counter',
    '{login}',
    'login',
    'Successful logins (the first one and every re-login).',
    [],
  ),
  spec(
    'login.refreshes',
    'chatshift.login.refreshes',
    'counter',
    '{request}',
    'login',
    'Login refreshes sent.',
    [],
  ),
  spec(
    'login.retries',
    'chatshift.login.retries',
    'counter',
    '{attempt}',
    'login',
    'CSDS or login requests retried after a 5xx, a 429 or a connection failure.',
    [],
  ),
  spec(
    'csds.requests',
    'chatshift.csds.requests',
    'counter',
    '{request}',
    'login',
    'CSDS discovery requests sent.',
    [],
  ),
  spec(
    'accept.races',
    'chatshift.accept.races',
    'counter',
    '{chat}',
    'legacy-chat',
    'Incoming chats another agent accepted first.',
  ),
  // Checkpoints
  spec(
    'checkpoint.save.duration',
    'chatshift.checkpoint.save.duration',
    'histogram',
    's',
    'core (checkpoint)',
    'Duration of one checkpoint save.',
    [B, ERROR_TYPE_ATTR],
  ),
  spec(
    'checkpoint.save.failures',
    'chatshift.checkpoint.save.failures',
    'counter',
    '{save}',
    'core (checkpoint)',
    'Checkpoint saves that failed (the stream then ends with ERR_CHECKPOINT_IO, or a fenced save).',
    [B, ERROR_TYPE_ATTR],
  ),
  spec(
    'checkpoint.rejected',
    'chatshift.checkpoint.rejected',
    'counter',
    '{entry}',
    'legacy-chat',
    'Checkpoint entries ignored as out of range (the chat is followed from its start).',
  ),
  // Cutover
  spec(
    'cutover.decisions',
    'chatshift.cutover.decisions',
    'counter',
    '{decision}',
    'core (conversationEvents)',
    'Cutover decisions (start, drain, resume, stop, stopped, ignored) per backend.',
    [B, 'chatshift.decision'],
  ),
  spec(
    'cutover.drainOnStart',
    'chatshift.cutover.drain_on_start',
    'counter',
    '{backend}',
    'core (conversationEvents)',
    'Backends started draining because their checkpoint still held open conversations.',
  ),
  // Actions (conversationActions): sends by outcome, and what the at-most-once policy met on the way
  spec(
    'sends',
    'chatshift.sends',
    'counter',
    '{message}',
    'core (actions)',
    'Sends by outcome, each once: `sent`, `already_sent`, `found_on_read_back`, `resent`, `refused`, `rate_limited`, `unknown`, `failed`.',
    [B, 'chatshift.outcome', ERROR_TYPE_ATTR],
  ),
  spec(
    'actions.rate_limited',
    'chatshift.actions.rate_limited',
    'counter',
    '{wait}',
    'core (actions)',
    'Actions refused with 429 and tried again after the wait.',
  ),
  spec(
    'actions.unclear',
    'chatshift.actions.unclear',
    'counter',
    '{attempt}',
    'core (actions)',
    'Action attempts with an unclear outcome (timeout, lost after the write, 5xx): read back or repeated.',
  ),
  // Scale-out (branch `redis`)
  spec(
    'shards.owned',
    'chatshift.shards.owned',
    'gauge',
    '{shard}',
    'redis',
    'Shards this instance owns.',
    [],
  ),
  spec(
    'lease.acquired',
    'chatshift.lease.acquired',
    'counter',
    '{lease}',
    'redis',
    'Shard leases acquired.',
    [],
  ),
  spec(
    'lease.lost',
    'chatshift.lease.lost',
    'counter',
    '{lease}',
    'redis',
    'Shard leases lost (not renewed in time; the shard was stopped by self-fencing).',
    [],
  ),
  spec(
    'lease.fenced',
    'chatshift.lease.fenced',
    'counter',
    '{save}',
    'redis',
    'Checkpoint saves refused because a newer owner holds the shard (ERR_CHECKPOINT_FENCED).',
    [],
  ),
  spec(
    'takeover.duration',
    'chatshift.takeover.duration',
    'histogram',
    's',
    'redis',
    "How long a shard had no owner: from when Redis ended its previous lease (expired, or released) to a new owner holding it; not recorded for a shard's first owner.",
    [],
  ),
]);

const byKey = new Map(metricCatalog.map((m) => [m.key, m]));

/** The catalog entry of `key`, or `undefined` for a name chatshift does not emit. */
export function metricSpec(key: string): MetricSpec | undefined {
  return byKey.get(key);
}
