import { ChatshiftError } from '../errors.js';

/** A bearer token, or a function that returns the current one (called again after an auth failure). */
export type BearerSource = string | (() => string | Promise<string>);

/** How long a `bearer()` function may take to answer, in ms, before `ERR_BEARER_PROVIDER`. */
export const BEARER_TIMEOUT_MS = 30_000;

/**
 * What an HTTP header (and so a bearer) can carry: printable Latin-1, no control characters. CR/LF
 * or NUL would be refused by the HTTP client on every request and retried for ever as a
 * connection error; they are the provider's fault (#15).
 */
const HEADER_SAFE = /^[\x20-\x7e\xa0-\xff]+$/;

/**
 * Resolves a {@link BearerSource} to a token, turning every failure into `ERR_BEARER_PROVIDER`: a
 * provider that throws, answers nothing, answers after `timeoutMs` (default
 * {@link BEARER_TIMEOUT_MS}), or answers a token no header can carry — a function is then asked
 * once more before failing. The token never appears in the error.
 */
export async function resolveBearer(
  source: BearerSource,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? BEARER_TIMEOUT_MS;
  const first = await fetchOnce(source, timeoutMs);
  if (HEADER_SAFE.test(first)) return first;
  const second = typeof source === 'function' ? await fetchOnce(source, timeoutMs) : first;
  if (HEADER_SAFE.test(second)) return second;
  throw new ChatshiftError(
    'ERR_BEARER_PROVIDER',
    'the bearer provider returned a token with a character no HTTP header can carry ' +
      '(CR, LF, NUL, another control character, or one outside Latin-1)',
  );
}

async function fetchOnce(source: BearerSource, timeoutMs: number): Promise<string> {
  let token: unknown;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (typeof source !== 'function') token = source;
    else {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new ChatshiftError(
                'ERR_BEARER_PROVIDER',
                `the bearer provider did not answer within ${timeoutMs} ms`,
              ),
            ),
          timeoutMs,
        );
      });
      token = await Promise.race([Promise.resolve().then(source), deadline]);
    }
  } catch (cause) {
    if (cause instanceof ChatshiftError) throw cause;
    throw new ChatshiftError('ERR_BEARER_PROVIDER', 'the bearer provider failed', { cause });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  if (typeof token !== 'string' || token.length === 0) {
    throw new ChatshiftError('ERR_BEARER_PROVIDER', 'the bearer provider returned no token');
  }
  return token;
}
