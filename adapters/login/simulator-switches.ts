// The login simulator's switches and one-shot faults.

/** Persistent behaviour of the login simulator; each a switch (see `LoginSimulator.configure`). */
export interface LoginSimulatorSwitches {
  /** Every login is refused with 401, whatever the credentials. Default false. */
  badCredentials: boolean;
  /** A token stops being valid this many ms after its login, refreshed or not. Default Infinity. */
  tokenTtlMs: number;
  /** A login session not refreshed for this many ms expires (its token too). Default Infinity. */
  sessionTtlMs: number;
  /** Every refresh is refused with 401 (as for an invalid csrf). Default false. */
  refreshRefused: boolean;
  /** What CSDS answers: the services, a body that is not JSON, JSON without `baseURIs`, or no messaging host. Default `ok`. */
  csds: 'ok' | 'not-json' | 'no-baseURIs' | 'no-messaging';
  /** Which messaging host CSDS lists: both names, only `facadeMsg`, or only the older `asyncMessagingEnt`. Default `both`. */
  csdsMessagingService: 'both' | 'facadeMsg' | 'asyncMessagingEnt';
  /** What a successful login answers: the full body, or one without `bearer`. Default `ok`. */
  loginAnswer: 'ok' | 'no-bearer';
}

/** A one-shot misbehaviour of the next matching request(s). */
export interface LoginSimulatorFault {
  /** Which requests it hits. Default `login`. */
  route?: 'csds' | 'login' | 'refresh' | 'logout';
  /** Answer with this status (JSON error body). */
  status?: number;
  /** `Retry-After` header value. */
  retryAfter?: string;
  /** Destroy the connection instead of answering. */
  reset?: boolean;
}

export const DEFAULT_LOGIN_SWITCHES: LoginSimulatorSwitches = {
  badCredentials: false,
  tokenTtlMs: Number.POSITIVE_INFINITY,
  sessionTtlMs: Number.POSITIVE_INFINITY,
  refreshRefused: false,
  csds: 'ok',
  csdsMessagingService: 'both',
  loginAnswer: 'ok',
};
