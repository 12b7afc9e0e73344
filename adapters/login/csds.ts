import { ChatshiftError } from '../../src/errors.js';
import { errorPaths } from '../../src/model/decode.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import { assertSecureTransport, isLoopbackHost } from '../../src/runtime/transport-security.js';
import { loginHttp, parseJson } from './http.js';
import type { ResolvedLoginOptions } from './options.js';
import { withRetries, type RetryContext } from './retry.js';
import { WireCsds } from './wire.js';

/**
 * `https://{host}{path}`; plain `http:` for a loopback host (the simulators) or when
 * `allowInsecureTransport` is set.
 */
export function serviceUrl(
  host: string,
  path: string,
  o: Pick<ResolvedLoginOptions, 'allowInsecureTransport'>,
): string {
  const hostname = new URL(`https://${host}/`).hostname;
  const scheme = isLoopbackHost(hostname) || o.allowInsecureTransport ? 'http' : 'https';
  const url = new URL(`${scheme}://${host}${path}`);
  assertSecureTransport(url, o.allowInsecureTransport, 'domain');
  return url.toString();
}

/**
 * CSDS discovery (legacy-chat-api.md §2.1, messaging-agent-api.md §2.1): every service host of the
 * account in one `baseURI.json` request, reused for `csdsTtlMs`; one request in flight at a time.
 */
export class Csds {
  private cache: { at: number; hosts: Map<string, string> } | undefined;
  private inflight: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly o: ResolvedLoginOptions,
    private readonly retry: RetryContext,
    private readonly metrics: Metrics,
  ) {}

  /** The host of `service`; with `cachedOnly`, only what is already known (no request). */
  async domain(service: string): Promise<string>;
  async domain(service: string, opts: { cachedOnly: true }): Promise<string | undefined>;
  async domain(service: string, opts: { cachedOnly?: boolean } = {}): Promise<string | undefined> {
    const given = this.o.domains[service];
    if (given !== undefined) return given;
    if (opts.cachedOnly === true) return this.cache?.hosts.get(service);
    const hosts = await this.hosts();
    const host = hosts.get(service);
    if (host === undefined) {
      throw new ChatshiftError('ERR_DISCOVERY', `csds: the account has no '${service}' service`, {
        details: { service, known: [...hosts.keys()].slice(0, 20) },
      });
    }
    return host;
  }

  private hosts(): Promise<Map<string, string>> {
    const now = this.o.scheduler.now();
    if (this.cache !== undefined && now - this.cache.at < this.o.csdsTtlMs)
      return Promise.resolve(this.cache.hosts);
    this.inflight ??= this.fetch().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async fetch(): Promise<Map<string, string>> {
    const url = serviceUrl(
      this.o.csdsDomain,
      `/api/account/${this.o.accountId}/service/baseURI.json?version=1.0`,
      this.o,
    );
    let res;
    try {
      res = await withRetries('csds', this.retry, () => {
        this.metrics.increment('csds.requests');
        return loginHttp({
          method: 'GET',
          url,
          dispatcher: this.o.dispatcher,
          timeoutMs: this.o.requestTimeoutMs,
          signal: this.retry.signal,
        });
      });
    } catch (cause) {
      if (this.retry.signal.aborted) throw cause;
      throw new ChatshiftError('ERR_DISCOVERY', 'csds: the discovery service could not be reached', {
        cause,
      });
    }
    if (res.status !== 200)
      throw new ChatshiftError('ERR_DISCOVERY', `csds: answered ${res.status}`, {
        details: { status: res.status },
      });
    const decoded = WireCsds.decode(parseJson(res.body));
    if (decoded._tag === 'Left') {
      throw new ChatshiftError('ERR_DISCOVERY', 'csds: the answer is not a baseURIs list', {
        details: { paths: errorPaths(decoded.left).slice(0, 5) },
      });
    }
    const hosts = new Map<string, string>();
    for (const b of decoded.right.baseURIs) {
      if (/^[A-Za-z0-9.-]+(?::\d{1,5})?$/.test(b.baseURI) && !hosts.has(b.service))
        hosts.set(b.service, b.baseURI);
    }
    this.cache = { at: this.o.scheduler.now(), hosts };
    return hosts;
  }
}
