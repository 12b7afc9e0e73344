import { request, type Dispatcher } from 'undici';
import { ChatshiftError } from '../../src/errors.js';

/** One finished exchange with the Login Service or CSDS. */
export interface LoginHttpResponse {
  status: number;
  retryAfter: string | undefined;
  /** `name=value` of every `set-cookie`. */
  setCookies: string[];
  body: string;
}

/** Largest body read from CSDS or the Login Service (a login answer is a few KB). */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Sends one JSON request within `timeoutMs` (whole exchange). Transport failures become
 * `ERR_TIMEOUT` / `ERR_CONNECTION`, an oversize body `ERR_PAYLOAD_TOO_LARGE`; statuses are not
 * judged here. Messages name the method and path only, never a body, header or query.
 */
export async function loginHttp(req: {
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  cookie?: string | undefined;
  dispatcher: Dispatcher | undefined;
  timeoutMs: number;
  signal: AbortSignal;
}): Promise<LoginHttpResponse> {
  const where = `${req.method} ${new URL(req.url).pathname}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  if (req.cookie !== undefined && req.cookie !== '') headers['cookie'] = req.cookie;
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = AbortSignal.any([req.signal, deadline]);
  try {
    const res = await request(req.url, {
      method: req.method,
      headers,
      body: req.body === undefined ? null : JSON.stringify(req.body),
      signal,
      ...(req.dispatcher === undefined ? {} : { dispatcher: req.dispatcher }),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.body.on('error', () => {});
        res.body.destroy();
        throw new ChatshiftError(
          'ERR_PAYLOAD_TOO_LARGE',
          `${where}: response body over ${MAX_BODY_BYTES} bytes`,
        );
      }
      chunks.push(chunk);
    }
    const raw = res.headers['set-cookie'];
    const retry = res.headers['retry-after'];
    return {
      status: res.statusCode,
      retryAfter: Array.isArray(retry) ? retry[0] : retry,
      setCookies: (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map(
        (c) => c.split(';', 1)[0]?.trim() ?? '',
      ),
      body: Buffer.concat(chunks).toString('utf8'),
    };
  } catch (cause) {
    if (cause instanceof ChatshiftError) throw cause;
    if (req.signal.aborted) throw cause;
    if (deadline.aborted)
      throw new ChatshiftError('ERR_TIMEOUT', `${where}: no answer within ${req.timeoutMs} ms`, { cause });
    const code = (cause as { code?: unknown } | null)?.code;
    throw new ChatshiftError('ERR_CONNECTION', `${where}: connection failed`, {
      cause,
      details: { code: typeof code === 'string' ? code : 'unknown' },
    });
  }
}

/** Merges `set-cookie` pairs into a jar and returns the `cookie` header value. */
export function mergeCookies(jar: Map<string, string>, setCookies: readonly string[]): string {
  for (const c of setCookies) {
    const eq = c.indexOf('=');
    if (eq > 0) jar.set(c.slice(0, eq), c.slice(eq + 1));
  }
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** `JSON.parse` that answers `undefined` instead of throwing. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
