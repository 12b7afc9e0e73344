import * as t from 'io-ts';

/**
 * A codec that validates a base type with a predicate but keeps the plain TypeScript type (no
 * brand), so code that builds events does not need casts, while decoding still rejects bad values.
 */
export function refined<A>(
  base: t.Type<A, A, unknown>,
  predicate: (a: A) => boolean,
  name: string,
): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => base.is(u) && predicate(u),
    (u, c) => (base.is(u) && predicate(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );
}
