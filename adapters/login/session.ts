import type { Subscription } from 'rxjs';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import { errorPaths } from '../../src/model/decode.js';
import { redactingLogger, silentLogger, type Logger } from '../../src/runtime/logger.js';
import { noopMetrics, type Metrics } from '../../src/runtime/metrics.js';
import type { Session, SessionService } from '../../src/runtime/session.js';
import { Csds, serviceUrl } from './csds.js';
import { loginHttp, mergeCookies, parseJson, type LoginHttpResponse } from './http.js';
import { validateLoginOptions, type LoginSessionOptions, type ResolvedLoginOptions } from './options.js';
import { withRetries, type RetryContext } from './retry.js';
import { WireLogin } from './wire.js';

/** One successful login: the token and what refresh and logout need. */
interface Login {
  bearer: string;
  csrf: string | undefined;
  cookie: string;
  userId: string;
}

/** What `loginSession()` returns: a {@link Session} plus counters for tests and operations. */
export interface LoginSession extends Session {
  /** Logins made so far (the first one and every re-login). */
  readonly logins: number;
}

/**
 * A LivePerson agent login as a {@link Session}: CSDS discovery (`agentVep`, `facadeMsg`,
 * `asyncMessagingEnt`, cached for `csdsTtlMs`), login with a password or app keys, refresh every
 * `refreshIntervalMs` (default 4 min), one re-login however many callers report a refused token,
 * logout on `close()`. Validates the options now (throwing `ERR_INVALID_OPTIONS`) and does nothing
 * else until `bearer()`, `domain()` or `agentId()` is first called.
 *
 * Failures are coded: wrong credentials or a blocked user `ERR_AUTH_REJECTED` (at once, no
 * retry); an answer without a bearer `ERR_SCHEMA_INVALID`; CSDS without the service
 * `ERR_DISCOVERY`; 5xx and unreachable hosts `ERR_RETRIES_EXHAUSTED` after the backoff; a 429
 * waits at least 5 s. Credentials and tokens never reach the logger or an error.
 *
 * @example
 * ```ts
 * import { loginSession } from 'chatshift/login';
 * import { legacyChat } from 'chatshift/legacy-chat';
 * import { messaging } from 'chatshift/messaging';
 *
 * const session = loginSession({ accountId: '1234', username: 'bot', password: process.env['LP_PASSWORD'] ?? '' });
 * const legacy = legacyChat({ session, acceptIncoming: true });
 * const msg = messaging({ session });
 * ```
 */
export function loginSession(options: LoginSessionOptions): LoginSession {
  return new LoginSessionImpl(validateLoginOptions(options));
}

class LoginSessionImpl implements LoginSession {
  readonly accountId: string;
  logins = 0;
  private readonly logger: Logger;
  private readonly metrics: Metrics;
  private readonly csds: Csds;
  private readonly abort = new AbortController();
  private current: Login | undefined;
  private inflight: Promise<Login> | undefined;
  private refreshTimer: Subscription | undefined;
  private closed = false;
  /** Every token this session has held: redacted from its logs even after replacement. */
  private readonly secrets = new Set<string>();

  constructor(private readonly o: ResolvedLoginOptions) {
    this.accountId = o.accountId;
    const c = o.credentials;
    if (c.kind === 'bearer') this.secrets.add(c.bearer);
    else {
      this.secrets.add(c.kind === 'password' ? c.body.password : c.body.secret);
      if (c.kind === 'app')
        for (const s of [c.body.accessToken, c.body.accessTokenSecret]) this.secrets.add(s);
    }
    this.logger = redactingLogger(o.logger ?? silentLogger, () => this.secrets);
    this.metrics = o.metrics ?? noopMetrics;
    this.csds = new Csds(o, this.retryContext(), this.metrics);
  }

  async bearer(): Promise<string> {
    return (await this.login()).bearer;
  }

  async domain(service: SessionService): Promise<string> {
    this.assertOpen();
    return this.csds.domain(service);
  }

  async agentId(): Promise<string> {
    return `${this.accountId}.${(await this.login()).userId}`;
  }

  async refused(bearer: string): Promise<void> {
    this.assertOpen();
    if (this.inflight !== undefined) {
      await this.inflight;
      return;
    }
    if (this.current === undefined || this.current.bearer !== bearer) return;
    if (this.o.credentials.kind === 'bearer') {
      throw new ChatshiftError(
        'ERR_AUTH_REJECTED',
        'login: the given bearer was refused and there are no credentials to log in again',
      );
    }
    this.logger.info?.('login: a token was refused; logging in again');
    this.current = undefined;
    await this.login();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.refreshTimer?.unsubscribe();
    const last = this.current;
    this.current = undefined;
    this.abort.abort(new ChatshiftError('ERR_SESSION_CLOSED', 'login: the session was closed'));
    if (last?.csrf === undefined) return;
    try {
      const url = await this.csds.domain('agentVep', { cachedOnly: true });
      if (url === undefined) return;
      const res = await loginHttp({
        method: 'POST',
        url: serviceUrl(url, `/api/account/${this.accountId}/logout?v=1.3`, this.o),
        body: { csrf: last.csrf },
        cookie: last.cookie,
        dispatcher: this.o.dispatcher,
        timeoutMs: this.o.requestTimeoutMs,
        signal: new AbortController().signal,
      });
      this.logger.debug?.('login: logged out', { status: res.status });
    } catch (e) {
      this.logger.warn('login: logout failed', { code: isChatshiftError(e) ? e.code : 'unknown' });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new ChatshiftError('ERR_SESSION_CLOSED', 'login: the session was closed');
  }

  /** The current login, or the one in flight, or a new one: never two at a time. */
  private login(): Promise<Login> {
    if (this.closed)
      return Promise.reject(new ChatshiftError('ERR_SESSION_CLOSED', 'login: the session was closed'));
    if (this.current !== undefined) return Promise.resolve(this.current);
    this.inflight ??= this.doLogin().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async doLogin(): Promise<Login> {
    const c = this.o.credentials;
    if (c.kind === 'bearer') {
      this.current = { bearer: c.bearer, csrf: undefined, cookie: '', userId: c.userId };
      return this.current;
    }
    const host = await this.csds.domain('agentVep');
    const url = serviceUrl(host, `/api/account/${this.accountId}/login?v=1.3`, this.o);
    const res = await withRetries('login', this.retryContext(), () => {
      this.metrics.increment('login.requests');
      return loginHttp({
        method: 'POST',
        url,
        body: c.body,
        dispatcher: this.o.dispatcher,
        timeoutMs: this.o.requestTimeoutMs,
        signal: this.abort.signal,
      });
    });
    const login = this.judgeLogin(res);
    this.secrets.add(login.bearer);
    if (login.csrf !== undefined) this.secrets.add(login.csrf);
    this.logins += 1;
    this.metrics.increment('login.logins');
    this.logger.info?.('login: logged in', { logins: this.logins });
    if (this.closed) throw new ChatshiftError('ERR_SESSION_CLOSED', 'login: the session was closed');
    this.current = login;
    this.scheduleRefresh(login);
    return login;
  }

  private judgeLogin(res: LoginHttpResponse): Login {
    if (res.status === 401 || res.status === 403 || res.status === 451) {
      throw new ChatshiftError(
        'ERR_AUTH_REJECTED',
        res.status === 451
          ? 'login: the user is blocked (451)'
          : `login: the credentials were refused (${res.status})`,
        { details: { status: res.status } },
      );
    }
    if (res.status >= 300)
      throw new ChatshiftError('ERR_HTTP_STATUS', `login: answered ${res.status}`, {
        details: { status: res.status },
      });
    const body = parseJson(res.body);
    const decoded = WireLogin.decode(body);
    if (decoded._tag === 'Left' || decoded.right.bearer === '') {
      throw new ChatshiftError('ERR_SCHEMA_INVALID', 'login: the answer has no bearer or no config.userId', {
        details: {
          errors: decoded._tag === 'Left' ? errorPaths(decoded.left) : ['empty bearer'],
        },
      });
    }
    const w = decoded.right;
    return {
      bearer: w.bearer,
      csrf: w.csrf,
      cookie: mergeCookies(new Map(), res.setCookies),
      userId: String(w.config.userId),
    };
  }

  /** Keeps the login alive; a refused refresh (401) is a refused token: log in again. */
  private scheduleRefresh(login: Login): void {
    this.refreshTimer?.unsubscribe();
    if (login.csrf === undefined) return;
    this.refreshTimer = this.o.scheduler.schedule(() => void this.refresh(login), this.o.refreshIntervalMs);
  }

  private async refresh(login: Login): Promise<void> {
    if (this.closed || this.current !== login) return;
    let status: number | undefined;
    try {
      const host = await this.csds.domain('agentVep');
      this.metrics.increment('login.refreshes');
      const res = await loginHttp({
        method: 'POST',
        url: serviceUrl(host, `/api/account/${this.accountId}/refresh?v=1.3`, this.o),
        body: { csrf: login.csrf },
        cookie: login.cookie,
        dispatcher: this.o.dispatcher,
        timeoutMs: this.o.requestTimeoutMs,
        signal: this.abort.signal,
      });
      status = res.status;
    } catch (e) {
      if (this.closed) return;
      this.logger.warn('login: refresh failed; trying again sooner', {
        code: isChatshiftError(e) ? e.code : 'unknown',
      });
    }
    if (this.closed || this.current !== login) return;
    if (status === 401 || status === 403) {
      this.logger.warn('login: refresh refused; logging in again', { status });
      await this.refused(login.bearer).catch((e: unknown) =>
        this.logger.error('login: re-login after a refused refresh failed', {
          code: isChatshiftError(e) ? e.code : 'unknown',
        }),
      );
      return;
    }
    if (status !== undefined && status >= 300)
      this.logger.warn('login: refresh answered an error', { status });
    const ok = status !== undefined && status < 300;
    this.refreshTimer = this.o.scheduler.schedule(
      () => void this.refresh(login),
      ok ? this.o.refreshIntervalMs : Math.min(this.o.refreshIntervalMs, this.o.backoff.initialMs),
    );
  }

  private retryContext(): RetryContext {
    return {
      backoff: this.o.backoff,
      rateLimitWaitMs: this.o.rateLimitWaitMs,
      scheduler: this.o.scheduler,
      logger: this.logger,
      metrics: this.metrics,
      signal: this.abort.signal,
    };
  }
}
