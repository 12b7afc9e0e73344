import type { Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { ConversationEventCodec, type ConversationEvent } from './event.js';

/**
 * Decodes untrusted input as a {@link ConversationEvent}; never throws.
 *
 * @example
 * ```ts
 * import { decodeConversationEvent, formatValidationErrors } from 'chatshift';
 *
 * const r = decodeConversationEvent(JSON.parse(line));
 * if (r._tag === 'Left') console.error(formatValidationErrors(r.left));
 * else console.log(r.right.id);
 * ```
 */
export function decodeConversationEvent(u: unknown): Either<t.Errors, ConversationEvent> {
  return ConversationEventCodec.decode(u);
}

/**
 * One readable line per validation error, naming the path of the bad field:
 * `Invalid value "bot" at message/from/role (expected "consumer" | "agent" | "manager" | "system")`.
 * Values are shortened so a huge or hostile input cannot flood a log line.
 */
export function formatValidationErrors(errors: t.Errors): string[] {
  return errors.map((e) => {
    const path = e.context
      .map((c) => c.key)
      .filter((k) => k !== '')
      .join('/');
    const last = e.context[e.context.length - 1];
    const expected = last === undefined ? '' : ` (expected ${last.type.name})`;
    const where = path === '' ? 'the top level' : path;
    const detail = e.message === undefined ? expected : `: ${e.message}`;
    return `Invalid value ${preview(e.value)} at ${where}${detail}`;
  });
}

/** Just the paths of the bad fields, for structured logs and tests. */
export function errorPaths(errors: t.Errors): string[] {
  return errors.map((e) =>
    e.context
      .map((c) => c.key)
      .filter((k) => k !== '')
      .join('/'),
  );
}

function preview(v: unknown): string {
  let s: string;
  try {
    s = v === undefined ? 'undefined' : (JSON.stringify(v) ?? String(v));
  } catch {
    s = Object.prototype.toString.call(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
