/**
 * Where chatshift logs. Only `warn` and `error` are required; chatshift calls them with a message
 * string first and an optional structured object second — `console` fits as is. A pino (or
 * bunyan-style) logger, which takes the object first, is recognised wherever chatshift takes a
 * logger and called its way (see {@link pinoLogger}): its lines carry chatshift's fields, `code`
 * among them.
 */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The part of a pino logger {@link pinoLogger} uses: each level takes `(object, message)`. */
export interface PinoLike {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Adapts a pino logger (`(object, message)` order) to chatshift's {@link Logger}: each field becomes
 * a property of the JSON line (Error values as `{ type, message, code }`), the message its `msg`.
 * Not needed when the pino logger is passed directly (it is recognised), but explicit.
 *
 * @example
 * ```ts
 * import { conversationEvents, pinoLogger } from 'chatshift';
 *
 * conversationEvents({ backend: 'both', legacy, messaging, logger: pinoLogger(pino()) });
 * ```
 */
export function pinoLogger(p: PinoLike): Logger {
  const at =
    (level: Level) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields === undefined) p[level]({}, message);
      else p[level](plainFields(fields), message);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A pino-style logger (object first): has `child`, `bindings` and a `levels` table. */
function isPinoLike(l: Logger): l is Logger & PinoLike {
  const o = l as unknown as Record<string, unknown>;
  return (
    typeof o['child'] === 'function' &&
    typeof o['bindings'] === 'function' &&
    typeof o['levels'] === 'object' &&
    o['levels'] !== null &&
    typeof o['info'] === 'function' &&
    typeof o['debug'] === 'function'
  );
}

const adapted = new WeakMap<object, Logger>();

/** The logger chatshift calls: `l` itself, or for a pino-style logger its {@link pinoLogger}. */
export function asLogger(l: Logger): Logger {
  if (!isPinoLike(l)) return l;
  let a = adapted.get(l);
  if (a === undefined) adapted.set(l, (a = pinoLogger(l)));
  return a;
}

/** Error values become plain objects (pino would print `{}` for an Error outside `err`). */
function plainFields(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields))
    out[k] =
      v instanceof Error ? { type: v.name, message: v.message, code: (v as { code?: unknown }).code } : v;
  return out;
}

/** A logger that drops everything (the default: a library is quiet unless asked). */
export const silentLogger: Logger = { warn: () => {}, error: () => {} };

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * Wraps a logger so that every message and field value has the given secrets replaced by
 * `[REDACTED]` before it reaches the sink. `secrets` is read at each call, so a refreshed
 * bearer is covered as soon as it is known.
 */
export function redactingLogger(inner: Logger, secrets: () => Iterable<string>): Logger {
  const emit = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    const fn = inner[level];
    if (fn === undefined) return;
    const list = [...secrets()].filter((s) => s.length > 0);
    const msg = redact(message, list);
    if (fields === undefined) fn.call(inner, msg);
    else fn.call(inner, msg, redactValue(fields, list) as Record<string, unknown>);
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/**
 * Secrets shorter than this are redacted only as whole tokens (not next to a letter or digit):
 * a one-character bearer would otherwise turn every log line into `[REDACTED]` soup (#15).
 */
export const SHORT_SECRET_LENGTH = 8;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Replaces every occurrence of each secret (and its URL-encoded form) with `[REDACTED]`; a secret
 * shorter than {@link SHORT_SECRET_LENGTH} only where it stands as a whole token.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length === 0) continue;
    for (const form of new Set([s, encodeURIComponent(s)])) {
      if (form.length >= SHORT_SECRET_LENGTH) out = out.split(form).join('[REDACTED]');
      else
        out = out.replace(
          new RegExp(`(?<![A-Za-z0-9])${escapeRegExp(form)}(?![A-Za-z0-9])`, 'g'),
          '[REDACTED]',
        );
    }
  }
  return out;
}

function redactValue(v: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof v === 'string') return redact(v, secrets);
  if (depth > 6 || v === null || typeof v !== 'object') return v;
  if (v instanceof Error) {
    return { name: v.name, message: redact(v.message, secrets), code: (v as { code?: unknown }).code };
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = redactValue(x, secrets, depth + 1);
  return out;
}
