import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/** One item from the wire (or a store) that could not be used. */
export interface InvalidInput {
  /**
   * `ERR_MALFORMED_JSON` for text that is not JSON, `ERR_SCHEMA_INVALID` for JSON of the wrong
   * shape, `ERR_PROTOCOL` for a well-formed answer that reports an error where data belonged.
   */
  code: 'ERR_MALFORMED_JSON' | 'ERR_SCHEMA_INVALID' | 'ERR_PROTOCOL';
  /** What was skipped, for the log line (`legacy-chat: schema-invalid chat response`). */
  message: string;
  /** The decoder's findings, with the path of each bad field; the first 5 are logged. */
  errors?: readonly string[];
  /** More context for the log (ids, sizes, never payloads that could carry secrets). */
  fields?: Record<string, unknown>;
}

/** Reports one invalid item; the caller then skips it. */
export type InvalidInputReporter = (item: InvalidInput) => void;

/**
 * The one policy point for bad input (design.md §1): every adapter reports an item it cannot use
 * here — counted as `items.invalid`, logged at `warn` with its code and paths — and skips it.
 * Conditions that must end a stream are not invalid input: they fail with their own code.
 */
export function invalidInputReporter(logger: Logger, metrics: Metrics): InvalidInputReporter {
  return (item) => {
    metrics.increment('items.invalid');
    logger.warn(item.message, {
      code: item.code,
      ...(item.errors === undefined ? {} : { errors: item.errors.slice(0, 5) }),
      ...item.fields,
    });
  };
}
