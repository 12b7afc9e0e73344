/**
 * The closed set of error codes chatshift raises. Match on `code`, never on message text; every
 * code is documented in docs/errors.md (a test keeps the two in step).
 */
export const errorCodes = [
  /** An option is missing or has the wrong shape; thrown synchronously by the factories. */
  'ERR_INVALID_OPTIONS',
  /** Plain http:/ws: to a non-loopback host without `allowInsecureTransport: true`. */
  'ERR_INSECURE_TRANSPORT',
  /** The server rejected the bearer even after a fresh one was asked for (401, close 4401/4407). */
  'ERR_AUTH_REJECTED',
  /** `bearer()` threw, rejected, or returned something other than a non-empty string. */
  'ERR_BEARER_PROVIDER',
  /** A 4xx (other than 401/429) that retrying cannot fix. */
  'ERR_HTTP_STATUS',
  /** A response or frame was not JSON; logged and skipped, surfaced only in logs and metrics. */
  'ERR_MALFORMED_JSON',
  /** A response or frame was JSON but not the expected shape; logged with the bad path and skipped. */
  'ERR_SCHEMA_INVALID',
  /** A body or frame exceeded its size cap. */
  'ERR_PAYLOAD_TOO_LARGE',
  /** A request, handshake or keep-alive got no answer within its deadline. */
  'ERR_TIMEOUT',
  /** A connection could not be made or broke (reset, refused, closed). Retried with backoff. */
  'ERR_CONNECTION',
  /** The server answered a protocol request with an error code. */
  'ERR_PROTOCOL',
  /** Retries were exhausted (`backoff.maxAttempts`) without one success. */
  'ERR_RETRIES_EXHAUSTED',
  /** A checkpoint file exists but cannot be understood; chatshift refuses to reset it silently. */
  'ERR_CHECKPOINT_CORRUPT',
  /** A checkpoint store could not read or write. */
  'ERR_CHECKPOINT_IO',
  /** A checkpoint file stayed locked by another live process (its lock file is named). */
  'ERR_CHECKPOINT_LOCKED',
  /** The backend flag named a backend that has no options, or an unknown value. */
  'ERR_BACKEND_UNAVAILABLE',
  /** A CLI usage error: unknown command or flag, missing argument. */
  'ERR_USAGE',
  /** `consume()`: the handler failed on one event as many times as `retry.maxAttempts` allows. */
  'ERR_HANDLER_FAILED',
  /** Legacy: an accept was sent but its answer was lost; a chat may be taken and not followed (logged). */
  'ERR_ACCEPT_LOST',
  /** A session was used after `close()`. */
  'ERR_SESSION_CLOSED',
  /** CSDS service discovery failed or answered without the service asked for. */
  'ERR_DISCOVERY',
  /** An action was refused with 429 and its wait would pass the caller's deadline; `details.retryAfterMs` says how long. */
  'ERR_RATE_LIMITED',
  /** An action on a conversation the agent is not (or no longer) a participant of. */
  'ERR_NOT_PARTICIPANT',
  /** An action on a conversation that is already closed. */
  'ERR_CONVERSATION_CLOSED',
  /** An action on a conversation the backend does not know. */
  'ERR_UNKNOWN_CONVERSATION',
  /** A transfer to a skill or agent that cannot take it. */
  'ERR_TRANSFER_TARGET_UNAVAILABLE',
  /** An offer (incoming chat, ring) expired or was taken before it was accepted. */
  'ERR_OFFER_GONE',
  /** The action does not exist on the conversation's backend. */
  'ERR_UNSUPPORTED',
  /** A write's answer was lost and reading back could not tell whether it took effect; never resent blindly. */
  'ERR_OUTCOME_UNKNOWN',
  /** A checkpoint save came from an owner whose lease epoch is stale; the save was rejected. */
  'ERR_CHECKPOINT_FENCED',
  /** A shard's lease could not be renewed in time; its owner stopped its sources. */
  'ERR_LEASE_LOST',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

/**
 * The one error class chatshift throws or emits. `code` is stable; `cause` carries the original
 * error where there is one. Messages never contain a bearer token.
 */
export class ChatshiftError extends Error {
  override readonly name = 'ChatshiftError';
  readonly code: ErrorCode;
  /** Extra structured facts (status code, close code, path of a bad field); never secrets. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = Object.freeze({ ...options.details });
  }
}

/**
 * True when `e` is a {@link ChatshiftError}, optionally with the given code.
 *
 * @example
 * ```ts
 * import { isChatshiftError } from 'chatshift';
 *
 * events$.subscribe({
 *   error: (e: unknown) => {
 *     if (isChatshiftError(e, 'ERR_AUTH_REJECTED')) reLogin();
 *     else throw e;
 *   },
 * });
 * ```
 */
export function isChatshiftError(e: unknown, code?: ErrorCode): e is ChatshiftError {
  return e instanceof ChatshiftError && (code === undefined || e.code === code);
}
