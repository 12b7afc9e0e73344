import { isChatshiftError } from '../errors.js';

/**
 * Attributes of one data point. Keep them low-cardinality: never a conversation, dialog, consumer
 * or agent id (`openTelemetryMetrics` drops any attribute its catalog entry does not allow).
 */
export type MetricAttributes = Readonly<Record<string, string | number | boolean>>;

/**
 * A metric sink, so operators can watch a source without parsing logs. The names chatshift emits,
 * with their OpenTelemetry instruments, units and attributes, are in the metric catalog
 * (`metricCatalog`, listed in docs/operations.md). Only `increment` is required: a sink without
 * `record` or `gauge` (such as one written for chatshift 0.1) simply does not receive
 * measurements or levels.
 */
export interface Metrics {
  /** Adds `by` (default 1) to the counter `name`. */
  increment(name: string, by?: number, attributes?: MetricAttributes): void;
  /** Records one measurement (a duration in seconds, a delay) of the histogram `name`. */
  record?(name: string, value: number, attributes?: MetricAttributes): void;
  /** Sets the current level of the gauge `name` (open conversations, shards owned). */
  gauge?(name: string, value: number, attributes?: MetricAttributes): void;
}

export const noopMetrics: Metrics = { increment: () => {} };

/**
 * A simple in-memory counter set; `snapshot()` returns the current values (attributes are summed
 * over; measurements and levels are not kept).
 */
export function counterMetrics(): Metrics & { snapshot(): Record<string, number> } {
  const counts = new Map<string, number>();
  return {
    increment(name, by = 1) {
      counts.set(name, (counts.get(name) ?? 0) + by);
    },
    snapshot: () => Object.fromEntries(counts),
  };
}

/** Seconds elapsed since `startMs` on a millisecond clock, for duration histograms. */
export const secondsSince = (startMs: number, nowMs: number): number => Math.max(0, nowMs - startMs) / 1000;

/** A low-cardinality name for a failure (`error.type`): its chatshift code, else its class name. */
export function errorType(e: unknown): string {
  if (isChatshiftError(e)) return e.code;
  return e instanceof Error ? e.name : '_OTHER';
}

/**
 * Records `operation.duration` (`messaging.client.operation.duration`) for one request to
 * LivePerson when `work` settles — with `error.type` when it fails — and returns `work` unchanged.
 * `operation` must be a fixed name (a request type), never an id.
 */
export function measureOperation<T>(
  metrics: Metrics,
  backend: string,
  operation: string,
  work: Promise<T>,
): Promise<T> {
  const record = metrics.record?.bind(metrics);
  if (record === undefined) return work;
  const started = performance.now();
  const attrs = { 'chatshift.backend': backend, 'messaging.operation.name': operation };
  work.then(
    () => record('operation.duration', (performance.now() - started) / 1000, attrs),
    (e: unknown) =>
      record('operation.duration', (performance.now() - started) / 1000, {
        ...attrs,
        'error.type': errorType(e),
      }),
  );
  return work;
}

/**
 * `metrics` with `defaults` added to every call's attributes (a call's own attributes win): how a
 * backend labels everything it emits with `chatshift.backend`.
 */
export function withAttributes(metrics: Metrics, defaults: MetricAttributes): Metrics {
  const merge = (a: MetricAttributes | undefined): MetricAttributes =>
    a === undefined ? defaults : { ...defaults, ...a };
  const { record, gauge } = metrics;
  return {
    increment: (name, by, attributes) => metrics.increment(name, by, merge(attributes)),
    ...(record === undefined
      ? {}
      : { record: (name, value, attributes) => record.call(metrics, name, value, merge(attributes)) }),
    ...(gauge === undefined
      ? {}
      : { gauge: (name, value, attributes) => gauge.call(metrics, name, value, merge(attributes)) }),
  };
}
