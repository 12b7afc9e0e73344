import type { Dispatcher } from 'undici';
import { ChatshiftError } from '../../src/errors.js';
import { resolveBearer, type BearerSource } from '../../src/runtime/bearer.js';
import type { InvalidInputReporter } from '../../src/runtime/invalid-input.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
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

  constructor(private readonly cfg: AgentSessionClientConfig) {}

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
    return this.parse(await this.send(method, url, body, signal), what);
  }

  /** One request; throws `ERR_AUTH_REJECTED` when a fresh bearer is refused too, `ERR_HTTP_STATUS` for other statuses ≥ 400. */
  async send(
    method: 'GET' | 'POST',
    url: string,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<HttpResponse> {
    const once = async (): Promise<HttpResponse> => {
      this.token ??= await resolveBearer(this.cfg.bearer);
      this.cfg.metrics.increment('http.requests');
      return httpRequest({
        method,
        url,
        bearer: this.token,
        ...(body === undefined ? {} : { body }),
        dispatcher: this.cfg.dispatcher,
        signal,
        maxResponseBytes: this.cfg.maxResponseBytes,
        timeoutMs: this.cfg.requestTimeoutMs,
      });
    };
    let res = await once();
    if (res.status === 401) {
      this.cfg.logger.warn('legacy-chat: bearer rejected (401), asking for a fresh one', {
        oauth: oauthProblem(res),
      });
      this.cfg.metrics.increment('retries');
      this.token = undefined;
      res = await once();
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
    if (res.status >= 400) {
      throw new ChatshiftError('ERR_HTTP_STATUS', `legacy-chat: ${method} answered ${res.status}`, {
        details: { status: res.status, retryAfter: res.retryAfter },
      });
    }
    return res;
  }

  /** JSON.parse (which never pollutes prototypes); a malformed body is reported and skipped. */
  private parse(res: HttpResponse, what: string): unknown {
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
