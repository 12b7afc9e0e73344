import type { Dispatcher } from 'undici';
import { ChatshiftError } from '../../src/errors.js';
import { resolveBearer, type BearerSource } from '../../src/runtime/bearer.js';
import type { InvalidInputReporter } from '../../src/runtime/invalid-input.js';
import type { Logger } from '../../src/runtime/logger.js';
import { measureOperation, type Metrics } from '../../src/runtime/metrics.js';
import { httpRequest, type HttpResponse } from './http.js';

/** What the client needs: the bearer, transport limits and where to report. */
export interface AgentSessionClientConfig {
  bearer: BearerSource;
  dispatcher: Dispatcher | undefined;
  maxResponseBytes: number;
  requestTimeoutMs: number;
  logger: Logger;
  metrics: Metrics;
  report: InvalidInputReporter;
}

/**
 * The legacy agent-session API client: one request at a time with the current bearer (a 401 asks
 * `bearer()` again and retries exactly once), statuses ≥ 400 as coded errors, JSON bodies parsed
 * with malformed ones reported and skipped. It knows URLs, not chats.
 */
export class AgentSessionClient {
  private token: string | undefined;
  /** The agent session's cookies (production-behaviour.md L3): one client, one agent session, one jar. */
  private readonly jar = new Map<string, string>();
  private cookie: string | undefined;

  constructor(private readonly cfg: AgentSessionClientConfig) {}

  /** The `cookie` header this agent session's jar holds now, if any. */
  cookieHeader(): string | undefined {
    return this.cookie;
  }

  /** Empties the jar: a new agent session starts with its own cookies (L3). */
  resetCookies(): void {
    this.jar.clear();
    this.cookie = undefined;
  }

  /** The bearer in use, for the redacting logger. */
  secrets(): string[] {
    return this.token === undefined ? [] : [this.token];
  }

  /** A request's JSON body, or `undefined` when it was not JSON (reported as `what`). */
  async json(
    method: 'GET' | 'POST',
    url: string,
    what: string,
    signal: AbortSignal,
    body?: string,
  ): Promise<unknown> {
    const res = measureOperation(this.cfg.metrics, 'legacy-chat', what, this.send(method, url, body, signal));
    return this.parse(await res, what);
  }

  /** One request; throws `ERR_AUTH_REJECTED` when a fresh bearer is refused too, `ERR_HTTP_STATUS` for other statuses ≥ 400. */
  async send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    signal: AbortSignal,
    headers?: Record<string, string>,
  ): Promise<HttpResponse> {
    const once = async (): Promise<HttpResponse> => {
      // A provider that never answers must not stall polling: it gets `requestTimeoutMs`.
      this.token ??= await resolveBearer(this.cfg.bearer, { timeoutMs: this.cfg.requestTimeoutMs });
      this.cfg.metrics.increment('http.requests');
      return httpRequest({
        method,
        url,
        bearer: this.token,
        ...(body === undefined ? {} : { body }),
        ...(this.cookie === undefined ? {} : { cookie: this.cookie }),
        ...(headers === undefined ? {} : { headers }),
        dispatcher: this.cfg.dispatcher,
        signal,
        maxResponseBytes: this.cfg.maxResponseBytes,
        timeoutMs: this.cfg.requestTimeoutMs,
      });
    };
    const keep = (r: HttpResponse): HttpResponse => {
      if (r.setCookies.length > 0) this.remember(r.setCookies);
      return r;
    };
    let res = keep(await once());
    if (res.status === 401) {
      this.cfg.logger.warn('legacy-chat: bearer rejected (401), asking for a fresh one', {
        oauth: oauthProblem(res),
      });
      this.cfg.metrics.increment('retries');
      this.token = undefined;
      res = keep(await once());
      if (res.status === 401) {
        throw new ChatshiftError(
          'ERR_AUTH_REJECTED',
          'legacy-chat: the server rejected a fresh bearer (401)',
          {
            details: { status: 401, oauthProblem: oauthProblem(res) },
          },
        );
      }
    }
    if (res.status >= 300) {
      // The API does not redirect: a 3xx (a login page, a proxy) is a status error, not a bad body.
      const redirect = res.status < 400 ? ' (redirects are not followed)' : '';
      throw new ChatshiftError(
        'ERR_HTTP_STATUS',
        `legacy-chat: ${method} answered ${res.status}${redirect}`,
        {
          details: {
            status: res.status,
            retryAfter: res.retryAfter,
            ...(res.location === undefined ? {} : { location: res.location.slice(0, 200) }),
          },
        },
      );
    }
    return res;
  }

  private remember(cookies: readonly string[]): void {
    for (const c of cookies) {
      const eq = c.indexOf('=');
      if (eq > 0) this.jar.set(c.slice(0, eq), c.slice(eq + 1));
    }
    this.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /**
   * JSON.parse (which never pollutes prototypes); a malformed body is reported and skipped. A large
   * body is first checked for nesting deeper than {@link MAX_JSON_DEPTH}: 10 MB of nested arrays
   * would cost hundreds of MB once parsed. Small bodies skip the scan (the hot path: a poll body
   * is a few KB).
   */
  private parse(res: HttpResponse, what: string): unknown {
    if (res.body.length > DEPTH_SCAN_FROM_CHARS && nestedDeeperThan(res.body, MAX_JSON_DEPTH)) {
      throw new ChatshiftError(
        'ERR_PAYLOAD_TOO_LARGE',
        `legacy-chat: ${what} response nested deeper than ${MAX_JSON_DEPTH}`,
        {
          details: { maxDepth: MAX_JSON_DEPTH, bytes: res.body.length },
        },
      );
    }
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      this.cfg.report({
        code: 'ERR_MALFORMED_JSON',
        message: `legacy-chat: malformed JSON in ${what} response`,
        fields: { status: res.status, bytes: res.body.length },
      });
      return undefined;
    }
  }
}

/** The `oauth_problem` of a plain-text 401 body (`oauth_problem=token_rejected&…`), if any. */
function oauthProblem(res: HttpResponse): string | undefined {
  const m = /(?:^|&)oauth_problem=([a-z_]+)/.exec(res.body.slice(0, 500));
  return m?.[1];
}

/** Deepest JSON nesting accepted; legacy bodies nest about 8 deep. */
export const MAX_JSON_DEPTH = 64;
/** Below this size a body cannot cost much whatever its shape, so it is not scanned. */
const DEPTH_SCAN_FROM_CHARS = 64 * 1024;

/**
 * True when `text` opens more than `max` arrays/objects at once (brackets inside strings ignored).
 * Strings are jumped over with `indexOf` rather than walked: on a 186 KB poll body (50 chats × 20
 * lines) the scan costs about 0.2 ms against 0.6–1 ms for `JSON.parse` (walked: 0.4–0.6 ms).
 */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // The closing quote is the next one not preceded by an odd run of backslashes.
      let j = i;
      for (;;) {
        j = text.indexOf('"', j + 1);
        if (j < 0) return false; // unterminated: JSON.parse reports it
        let slashes = 0;
        while (text.charCodeAt(j - 1 - slashes) === 0x5c) slashes++;
        if (slashes % 2 === 0) break;
      }
      i = j;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}
