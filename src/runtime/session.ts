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
