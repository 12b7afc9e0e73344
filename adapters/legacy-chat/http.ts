import { request, type Dispatcher } from 'undici';
import { ChatshiftError } from '../../src/errors.js';

/** A finished HTTP exchange: status, the headers we look at, and the body as text. */
export interface HttpResponse {
  status: number;
  contentType: string;
  retryAfter: string | undefined;
  /** `location` of a redirect (3xx), for the error that reports it. */
  location: string | undefined;
  /** `name=value` of every `set-cookie` (the agent session's cookies, production-behaviour.md L3). */
  setCookies: string[];
  body: string;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  bearer: string;
  /** The `cookie` header to send, if any. */
  cookie?: string;
  /** Extra headers (e.g. `x-http-method-override: PUT`). */
  headers?: Record<string, string>;
  body?: string;
  dispatcher: Dispatcher | undefined;
  signal: AbortSignal;
  maxResponseBytes: number;
  timeoutMs: number;
}

/**
 * Sends one request and reads its body up to a size cap, within a total deadline of `timeoutMs`
 * (undici's own timeouts bound idle time only, so a body trickled a few bytes at a time would
 * otherwise never end). Transport failures become coded errors
 * (`ERR_TIMEOUT`, `ERR_CONNECTION`, `ERR_PAYLOAD_TOO_LARGE`); an abort is rethrown as is. Status
 * codes are not judged here. Error messages name the method and path only: a URL's query could
 * carry anything, and the bearer never appears.
 */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const where = `${req.method} ${new URL(req.url).pathname}`;
  const headers: Record<string, string> = {
    ...req.headers,
    authorization: `Bearer ${req.bearer}`,
    accept: 'application/json',
  };
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  if (req.cookie !== undefined) headers['cookie'] = req.cookie;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), req.timeoutMs);
  try {
    return await exchange(req, headers, where, AbortSignal.any([req.signal, deadline.signal]));
  } catch (cause) {
    if (deadline.signal.aborted && !req.signal.aborted && !(cause instanceof ChatshiftError)) {
      throw new ChatshiftError('ERR_TIMEOUT', `${where}: no complete answer within ${req.timeoutMs} ms`, {
        cause,
        details: { code: 'DEADLINE' },
      });
    }
    throw cause;
  } finally {
    clearTimeout(timer);
  }
}

async function exchange(
  req: HttpRequest,
  headers: Record<string, string>,
  where: string,
  signal: AbortSignal,
): Promise<HttpResponse> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(req.url, {
      method: req.method,
      headers,
      body: req.body ?? null,
      signal,
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      ...(req.dispatcher === undefined ? {} : { dispatcher: req.dispatcher }),
    });
  } catch (cause) {
    throw transportError(cause, where, signal);
  }
  const contentType = header(res.headers['content-type']) ?? '';
  const retryAfter = header(res.headers['retry-after']);
  const declared = Number(header(res.headers['content-length']) ?? NaN);
  if (Number.isFinite(declared) && declared > req.maxResponseBytes) {
    discard(res);
    throw tooLarge(where, req.maxResponseBytes);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > req.maxResponseBytes) {
        discard(res);
        throw tooLarge(where, req.maxResponseBytes);
      }
      chunks.push(chunk);
    }
  } catch (cause) {
    if (cause instanceof ChatshiftError) throw cause;
    throw transportError(cause, where, signal);
  }
  const raw = res.headers['set-cookie'];
  const setCookies = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(
    (c) => c.split(';', 1)[0]?.trim() ?? '',
  );
  return {
    status: res.statusCode,
    contentType,
    retryAfter,
    location: header(res.headers['location']),
    setCookies,
    body: Buffer.concat(chunks).toString('utf8'),
  };
}

/** Drops a body we will not read; undici reports the abort as an error nobody needs to hear. */
function discard(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => {});
  res.body.destroy();
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function tooLarge(where: string, cap: number): ChatshiftError {
  return new ChatshiftError('ERR_PAYLOAD_TOO_LARGE', `${where}: response body over ${cap} bytes`, {
    details: { maxResponseBytes: cap },
  });
}

function transportError(cause: unknown, where: string, signal: AbortSignal): unknown {
  if (signal.aborted) return cause;
  const code = (cause as { code?: unknown } | null)?.code;
  if (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new ChatshiftError('ERR_TIMEOUT', `${where}: no answer in time`, { cause, details: { code } });
  }
  return new ChatshiftError('ERR_CONNECTION', `${where}: connection failed`, {
    cause,
    details: { code: typeof code === 'string' ? code : 'unknown' },
  });
}
