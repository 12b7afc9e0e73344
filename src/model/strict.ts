import * as t from 'io-ts';

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * A closed object codec: required and optional properties, and **no others**.
 *
 * io-ts's `t.exact` strips unknown keys silently; an event model that other tools rely on should
 * instead reject them, so a producer bug ("extra junk") surfaces with its path. Optional properties
 * must be absent or valid: `undefined` is not accepted as a value (matches `exactOptionalPropertyTypes`).
 */
export function strictObject<R extends t.Props, O extends t.Props = Record<never, never>>(
  name: string,
  required: R,
  optional?: O,
): t.Type<
  t.TypeOfProps<R> & t.TypeOfPartialProps<O>,
  t.OutputOfProps<R> & t.OutputOfPartialProps<O>,
  unknown
> {
  const opt = (optional ?? {}) as O;
  const known = new Set([...Object.keys(required), ...Object.keys(opt)]);
  type A = t.TypeOfProps<R> & t.TypeOfPartialProps<O>;
  type Out = t.OutputOfProps<R> & t.OutputOfPartialProps<O>;

  const validate: t.Validate<unknown, A> = (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u))
      return t.failure(u, c, `${name}: expected an object`);
    const input = u as Record<string, unknown>;
    const errors: t.Errors = [];
    const out: Record<string, unknown> = {};
    for (const [key, codec] of Object.entries(required)) {
      const r = codec.validate(input[key], t.appendContext(c, key, codec, input[key]));
      if (r._tag === 'Left') errors.push(...r.left);
      else out[key] = r.right;
    }
    for (const [key, codec] of Object.entries(opt)) {
      if (!hasOwn(input, key)) continue;
      const r = codec.validate(input[key], t.appendContext(c, key, codec, input[key]));
      if (r._tag === 'Left') errors.push(...r.left);
      else out[key] = r.right;
    }
    for (const key of Object.keys(input)) {
      if (!known.has(key)) {
        errors.push({
          value: input[key],
          context: t.appendContext(c, key, t.never, input[key]),
          message: `unexpected property "${key}"`,
        });
      }
    }
    return errors.length > 0 ? t.failures(errors) : t.success(out as A);
  };

  const is = (u: unknown): u is A => validate(u, [{ key: '', type: t.unknown, actual: u }])._tag === 'Right';

  const encode = (a: A): Out => {
    const out: Record<string, unknown> = {};
    const src = a as Record<string, unknown>;
    for (const [key, codec] of Object.entries(required)) out[key] = codec.encode(src[key]);
    for (const [key, codec] of Object.entries(opt)) if (hasOwn(src, key)) out[key] = codec.encode(src[key]);
    return out as Out;
  };

  return new t.Type<A, Out, unknown>(name, is, validate, encode);
}
