import { Observable, type OperatorFunction } from 'rxjs';
import type * as t from 'io-ts';
import { formatValidationErrors } from '../model/decode.js';

/** What {@link decodeOrSkip} reports about an item it skipped. */
export interface InvalidItem {
  value: unknown;
  errors: string[];
}

/**
 * Decodes each item with `codec`; valid items go on, invalid ones are reported through `onInvalid`
 * (log them, count them) and skipped. The single policy point the style guide asks for: nothing
 * downstream ever sees an undecoded value, and nothing throws from inside a `map`.
 */
export function decodeOrSkip<A>(
  codec: t.Decoder<unknown, A>,
  onInvalid: (item: InvalidItem) => void,
): OperatorFunction<unknown, A> {
  return (source) =>
    new Observable<A>((subscriber) =>
      source.subscribe({
        next(value) {
          const r = codec.decode(value);
          if (r._tag === 'Right') subscriber.next(r.right);
          else onInvalid({ value, errors: formatValidationErrors(r.left) });
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      }),
    );
}
