import type { Logger } from '../../src/runtime/logger.js';

/** One logger call. */
export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields?: Record<string, unknown>;
}

/** A logger that records every call, for assertions on what was logged (and what was not). */
export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
  /** Each record as one line: `level message {fields}`. */
  lines(): string[];
  /** Every record, serialised: for "never appears anywhere" checks. */
  text(): string;
}

export function recordingLogger(): RecordingLogger {
  const records: LogRecord[] = [];
  const at =
    (level: LogRecord['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      records.push(fields === undefined ? { level, message } : { level, message, fields });
    };
  return {
    records,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    lines: () =>
      records.map((r) => `${r.level} ${r.message} ${r.fields === undefined ? '' : JSON.stringify(r.fields)}`),
    text: () => JSON.stringify(records),
  };
}
