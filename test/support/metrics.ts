import type { MetricAttributes, Metrics } from '../../src/runtime/metrics.js';

/** One call a {@link recordingMetrics} sink received. */
export interface MetricCall {
  kind: 'counter' | 'histogram' | 'gauge';
  name: string;
  value: number;
  attributes: MetricAttributes;
}

/** A sink that keeps every call, in order, for tests that check what was measured. */
export function recordingMetrics(): Required<Metrics> & {
  calls: MetricCall[];
  of(name: string): MetricCall[];
} {
  const calls: MetricCall[] = [];
  return {
    calls,
    of: (name) => calls.filter((c) => c.name === name),
    increment: (name, by = 1, attributes = {}) =>
      void calls.push({ kind: 'counter', name, value: by, attributes }),
    record: (name, value, attributes = {}) => void calls.push({ kind: 'histogram', name, value, attributes }),
    gauge: (name, value, attributes = {}) => void calls.push({ kind: 'gauge', name, value, attributes }),
  };
}
