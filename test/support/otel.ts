import { MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import type { Meter } from '@opentelemetry/api';

/** A reader whose collect() the test calls itself (no timer, no exporter). */
class CollectingReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A real OpenTelemetry SDK meter and what it has collected, by instrument name. */
export interface OtelHarness {
  readonly meter: Meter;
  collect(): Promise<Map<string, MetricData>>;
  shutdown(): Promise<void>;
}

/** Starts a MeterProvider with an in-memory reader (cumulative temporality). */
export function otelHarness(): OtelHarness {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter('chatshift-test'),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw new Error(`collection failed: ${String(errors[0])}`);
      const out = new Map<string, MetricData>();
      for (const scope of resourceMetrics.scopeMetrics)
        for (const m of scope.metrics) out.set(m.descriptor.name, m);
      return out;
    },
    shutdown: () => provider.shutdown(),
  };
}

/** The sum of a counter's data points, optionally only those whose attributes include `where`. */
export function counterSum(m: MetricData | undefined, where: Record<string, unknown> = {}): number {
  let sum = 0;
  for (const p of m?.dataPoints ?? [])
    if (Object.entries(where).every(([k, v]) => p.attributes[k] === v)) sum += p.value as number;
  return sum;
}

/** The number of measurements a histogram holds, optionally only those whose attributes include `where`. */
export function histogramCount(m: MetricData | undefined, where: Record<string, unknown> = {}): number {
  let count = 0;
  for (const p of m?.dataPoints ?? [])
    if (Object.entries(where).every(([k, v]) => p.attributes[k] === v))
      count += (p.value as { count: number }).count;
  return count;
}
