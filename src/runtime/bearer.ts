import { ChatshiftError } from '../errors.js';

/** A bearer token, or a function that returns the current one (called again after an auth failure). */
export type BearerSource = string | (() => string | Promise<string>);

/** Resolves a {@link BearerSource} to a token, turning every failure into `ERR_BEARER_PROVIDER`. */
export async function resolveBearer(source: BearerSource): Promise<string> {
  let token: unknown;
  try {
    token = typeof source === 'function' ? await source() : source;
  } catch (cause) {
    throw new ChatshiftError('ERR_BEARER_PROVIDER', 'the bearer provider failed', { cause });
  }
  if (typeof token !== 'string' || token.length === 0) {
    throw new ChatshiftError('ERR_BEARER_PROVIDER', 'the bearer provider returned no token');
  }
  return token;
}
