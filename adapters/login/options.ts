import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { Dispatcher } from 'undici';
import type { BackoffOptions, ResolvedBackoff } from '../../src/runtime/backoff.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import { OptionsChecker, resolveServices } from '../../src/runtime/options.js';
import { resolveBackoff } from '../../src/runtime/backoff.js';

/** A LivePerson user's password login. */
export interface PasswordCredentials {
  username: string;
  password: string;
}

/**
 * An application (bot) login: OAuth1 keys, or OAuth2 client credentials with the client id in
 * `appKey`, the client secret in `secret` and `"dummy"` in both token fields.
 */
export interface AppKeyCredentials {
  username: string;
  appKey: string;
  secret: string;
  accessToken: string;
  accessTokenSecret: string;
}

/** A bearer from a login made elsewhere: used as is, never refreshed; a refusal is final. */
export interface ExistingBearer {
  bearer: string;
  /** The legacy numeric user id (`config.userId` of the login answer). */
  userId: string;
}

/** Options of `loginSession()`. `accountId` and one kind of credentials are required. */
export type LoginSessionOptions = LoginSessionCommonOptions &
  (PasswordCredentials | AppKeyCredentials | ExistingBearer);

export interface LoginSessionCommonOptions {
  /** The LivePerson account (site) id. Required. */
  accountId: string;
  /**
   * The CSDS host, `host[:port]` without scheme. Default `adminlogin.liveperson.net`. `https:`,
   * or plain `http:` for loopback hosts (the simulators) or with `allowInsecureTransport`.
   */
  csdsDomain?: string;
  /** Service hosts known in advance (`{ agentVep: 'va.agentvep.liveperson.net' }`); CSDS is asked for the rest. */
  domains?: Record<string, string>;
  /** How long CSDS answers are reused, in ms. Default 3600000 (1 h). */
  csdsTtlMs?: number;
  /** Refresh cadence of the login, in ms. Default 240000 (4 min: LivePerson asks for every 3–5 min). */
  refreshIntervalMs?: number;
  /** The shortest wait after a login answered 429, in ms. Default 5000 (LivePerson: at least 5 s). */
  rateLimitWaitMs?: number;
  /**
   * Retry timing for 5xx answers and connection failures of CSDS and login. Default: 5 s, then 10,
   * then 20 (LivePerson: retry 3 times at 5/10/15 s), jitter 0.2, 4 attempts in all.
   */
  backoff?: BackoffOptions;
  /** Deadline of each request, in ms. Default 30000. */
  requestTimeoutMs?: number;
  /** undici dispatcher for every request. Default: undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** RxJS scheduler for the refresh timer and retry waits. Default `asyncScheduler`. */
  scheduler?: SchedulerLike;
  /** Console-compatible logger; credentials and tokens are redacted before it. Default: silent. */
  logger?: Logger;
  /** Counters `login.requests`, `login.logins`, `login.refreshes`, `login.retries`, `csds.requests`. */
  metrics?: Metrics;
  /** Allow plain `http:` to a non-loopback host. Default false. */
  allowInsecureTransport?: boolean;
}

/** Validated credentials: what goes in the login body, or an existing bearer. */
export type Credentials =
  | { kind: 'password'; body: PasswordCredentials }
  | { kind: 'app'; body: AppKeyCredentials }
  | { kind: 'bearer'; bearer: string; userId: string };

export interface ResolvedLoginOptions {
  accountId: string;
  credentials: Credentials;
  csdsDomain: string;
  domains: Readonly<Record<string, string>>;
  csdsTtlMs: number;
  refreshIntervalMs: number;
  rateLimitWaitMs: number;
  backoff: ResolvedBackoff;
  requestTimeoutMs: number;
  dispatcher: Dispatcher | undefined;
  scheduler: SchedulerLike;
  logger: Logger | undefined;
  metrics: Metrics | undefined;
  allowInsecureTransport: boolean;
}

const HOST_PORT = /^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/** Checks every option, throwing `ERR_INVALID_OPTIONS` synchronously; never echoes a value. */
export function validateLoginOptions(options: LoginSessionOptions): ResolvedLoginOptions {
  const check = new OptionsChecker('loginSession');
  const o = check.object(options);
  const accountId = check.nonEmptyString('accountId', o['accountId']);
  if (!/^[A-Za-z0-9_-]+$/.test(accountId)) check.fail('accountId', 'letters, digits, _ or -');
  const credentials = resolveCredentials(check, o);
  const csdsDomain = o['csdsDomain'] ?? 'adminlogin.liveperson.net';
  if (typeof csdsDomain !== 'string' || !HOST_PORT.test(csdsDomain))
    check.fail('csdsDomain', 'host[:port] without scheme or path');
  const domains = o['domains'] ?? {};
  if (
    typeof domains !== 'object' ||
    domains === null ||
    Array.isArray(domains) ||
    Object.values(domains).some((d) => typeof d !== 'string' || !HOST_PORT.test(d))
  )
    check.fail('domains', 'an object of service name to host[:port]');
  const services = resolveServices(check, o);
  const backoff = o['backoff'];
  if (backoff !== undefined && (typeof backoff !== 'object' || backoff === null))
    check.fail('backoff', 'an object');
  const b = (backoff ?? {}) as BackoffOptions;
  const scheduler = check.withMethods<SchedulerLike>(
    'scheduler',
    o['scheduler'],
    ['schedule', 'now'],
    'an RxJS scheduler',
  );
  const dispatcher = check.withMethods<Dispatcher>(
    'dispatcher',
    o['dispatcher'],
    ['dispatch'],
    'an undici Dispatcher',
  );
  return {
    accountId,
    credentials,
    csdsDomain: csdsDomain as string,
    domains: { ...(domains as Record<string, string>) },
    csdsTtlMs: check.positive('csdsTtlMs', o['csdsTtlMs'], 3_600_000, { ms: true }),
    refreshIntervalMs: check.positive('refreshIntervalMs', o['refreshIntervalMs'], 240_000, { ms: true }),
    rateLimitWaitMs: check.positive('rateLimitWaitMs', o['rateLimitWaitMs'], 5000, { ms: true }),
    backoff: resolveBackoff({
      initialMs: check.positive('backoff.initialMs', b.initialMs, 5000, { ms: true }),
      maxMs: check.positive('backoff.maxMs', b.maxMs, 120_000, { ms: true }),
      factor: check.positive('backoff.factor', b.factor, 2, { max: 1000 }),
      jitter: jitterOf(check, b.jitter),
      maxAttempts: check.positive('backoff.maxAttempts', b.maxAttempts, 4, { integer: true }),
    }),
    requestTimeoutMs: check.positive('requestTimeoutMs', o['requestTimeoutMs'], 30_000, { ms: true }),
    dispatcher,
    scheduler: scheduler ?? asyncScheduler,
    logger: services.logger,
    metrics: services.metrics,
    allowInsecureTransport: check.boolean('allowInsecureTransport', o['allowInsecureTransport']),
  };
}

function jitterOf(check: OptionsChecker, v: unknown): number {
  if (v === undefined) return 0.2;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) check.fail('backoff.jitter', 'a number in 0..1');
  return v;
}

function resolveCredentials(check: OptionsChecker, o: Record<string, unknown>): Credentials {
  const has = (k: string): boolean => o[k] !== undefined;
  const str = (k: string): string => check.nonEmptyString(k, o[k]);
  const app = ['appKey', 'secret', 'accessToken', 'accessTokenSecret'];
  const kinds = [has('password'), app.some(has), has('bearer')].filter(Boolean).length;
  if (kinds !== 1)
    check.fail(
      'credentials',
      'exactly one of { username, password }, { username, appKey, secret, accessToken, accessTokenSecret } or { bearer, userId }',
    );
  if (has('bearer')) {
    const bearer = str('bearer');
    if (!/^[\x21-\x7e]+$/.test(bearer)) check.fail('bearer', 'printable ASCII without spaces');
    return { kind: 'bearer', bearer, userId: str('userId') };
  }
  const username = str('username');
  if (has('password')) return { kind: 'password', body: { username, password: str('password') } };
  return {
    kind: 'app',
    body: {
      username,
      appKey: str('appKey'),
      secret: str('secret'),
      accessToken: str('accessToken'),
      accessTokenSecret: str('accessTokenSecret'),
    },
  };
}
