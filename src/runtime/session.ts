/**
 * The core view of a LivePerson agent login, shared by every backend of one agent user (two logins
 * of one agent kick each other out). `loginSession()` from `chatshift/login` makes one from an
 * account id and credentials; anything with this shape fits (a user who logs in elsewhere can
 * wrap their own bearer). Core and adapters depend on this interface only.
 */
export interface Session {
  /** The LivePerson account (site) id. */
  readonly accountId: string;
  /**
   * A currently valid bearer token. Logs in on first use (sessions are cold and lazy); while a
   * login or refresh is in flight every caller waits for that one (single flight).
   */
  bearer(): Promise<string>;
  /**
   * The host of a LivePerson service as CSDS names it (`agentVep`, `facadeMsg`,
   * `asyncMessagingEnt`, …), discovered once and cached.
   */
  domain(service: SessionService): Promise<string>;
  /** The logged-in agent's user id as messaging names it: `${accountId}.${userId}`. */
  agentId(): Promise<string>;
  /**
   * A caller tells the session that the server refused `bearer` (HTTP 401, a revoked socket).
   * The session logs in again once however many callers report the same token; a report about a
   * token already replaced is ignored. Resolves once a new token is available or rejects with the
   * login's coded error.
   */
  refused(bearer: string): Promise<void>;
  /** Logs out and stops refreshing; later calls reject with `ERR_SESSION_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

/** CSDS service names chatshift uses. */
export type SessionService = 'agentVep' | 'facadeMsg' | 'asyncMessagingEnt' | (string & {});

/**
 * A bearer function for one connection or poller that uses `session`: the first call returns the
 * session's token; every later call is made because the server refused the last one (the
 * adapters ask again only then), so it reports that token to `session.refused()` first — the
 * session logs in again once however many callers report it — and returns the new one.
 */
export function sessionBearer(session: Session): () => Promise<string> {
  let last: string | undefined;
  return async () => {
    if (last !== undefined) await session.refused(last);
    last = await session.bearer();
    return last;
  };
}

/** Whether `v` has the shape of a {@link Session} (used by the factories' option checks). */
export function isSession(v: unknown): v is Session {
  const s = v as Partial<Record<keyof Session, unknown>> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.accountId === 'string' &&
    s.accountId.length > 0 &&
    ['bearer', 'domain', 'agentId', 'refused', 'close'].every(
      (m) => typeof s[m as keyof Session] === 'function',
    )
  );
}
