/**
 * Console-compatible logger: `console` and pino both fit. Only `warn` and `error` are required;
 * chatshift logs a message string first and an optional structured object second.
 */
export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
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
