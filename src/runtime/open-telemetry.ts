import { ChatshiftError } from '../errors.js';
import { metricCatalog, metricSpec, type MetricKind, type MetricSpec } from './metric-catalog.js';
import type { MetricAttributes, Metrics } from './metrics.js';

/** Attribute values an OpenTelemetry instrument takes. */
type OtelAttributes = Record<string, string | number | boolean>;
/** The options an OpenTelemetry `Meter` takes when creating an instrument. */
interface InstrumentOptions {
  description?: string;
  unit?: string;
}

/**
 * The part of an OpenTelemetry `Meter` (`@opentelemetry/api` ≥ 1.3) chatshift uses, written out
 * so that importing `chatshift` never loads `@opentelemetry/api`: pass
 * `metrics.getMeter('my-service')`. Counters are summed in the sink and reported through
 * `createObservableCounter` when the meter has it (else `createCounter`); `createGauge` (api ≥ 1.9)
 * is used when present, else levels are reported through an observable gauge.
 */
export interface MeterLike {
  createCounter(
    name: string,
    options?: InstrumentOptions,
  ): { add(value: number, attributes?: OtelAttributes): void };
  createHistogram(
    name: string,
    options?: InstrumentOptions,
  ): { record(value: number, attributes?: OtelAttributes): void };
  createGauge?(
    name: string,
    options?: InstrumentOptions,
  ): { record(value: number, attributes?: OtelAttributes): void };
  createObservableCounter?(
    name: string,
    options?: InstrumentOptions,
  ): {
    addCallback(
      callback: (result: { observe(value: number, attributes?: OtelAttributes): void }) => void,
    ): void;
  };
  createObservableGauge(
    name: string,
    options?: InstrumentOptions,
  ): {
    addCallback(
      callback: (result: { observe(value: number, attributes?: OtelAttributes): void }) => void,
    ): void;
  };
}

/** Longer attribute strings are dropped: a bounded label never needs more. */
const MAX_ATTRIBUTE_LENGTH = 64;

/** Attribute keys a name missing from the catalog may carry (every key the catalog allows anywhere). */
const SAFE_KEYS: ReadonlySet<string> = new Set(metricCatalog.flatMap((m) => m.attributes));
/** Each catalog entry's allowed attribute keys. */
const ALLOWED = new Map<string, ReadonlySet<string>>(
  metricCatalog.map((m) => [m.key, new Set(m.attributes)]),
);

/** One instrument as the sink uses it: a value and the caller's (unfiltered) attributes. */
type Emit = (value: number, attributes: MetricAttributes | undefined) => void;

/** One attribute set's running total of an observed counter. */
interface Cell {
  value: number;
  readonly attributes: OtelAttributes;
}

/**
 * A {@link Metrics} sink over an OpenTelemetry meter (the application brings the SDK and the
 * exporter; `@opentelemetry/api` is an optional peer dependency). Each name becomes the catalog's
 * instrument (`metricCatalog`, docs/operations.md) — OTel messaging semantic-convention names where
 * they exist, `chatshift.*` otherwise — created once, on first use, with its unit and description.
 *
 * Attributes are filtered, so no conversation, dialog, consumer or agent id ever becomes a label:
 * an instrument keeps only the attribute keys the catalog lists for it (plus its constant
 * semantic-convention attributes), and drops string values longer than 64 characters. A name the
 * catalog does not know becomes `chatshift.<name>` with only the catalog's attribute keys; a name
 * used with the wrong method (a counter's name given to `record`) is ignored, as are values that
 * are not finite (and negative counter increments).
 *
 * Throws `ERR_INVALID_OPTIONS` when `meter` lacks `createCounter`, `createHistogram` or
 * `createObservableGauge`.
 */
export function openTelemetryMetrics(meter: MeterLike): Metrics {
  const m = meter as Partial<MeterLike> | null;
  for (const method of ['createCounter', 'createHistogram', 'createObservableGauge'] as const) {
    if (typeof m !== 'object' || m === null || typeof m[method] !== 'function')
      throw new ChatshiftError(
        'ERR_INVALID_OPTIONS',
        `openTelemetryMetrics: meter must be an OpenTelemetry Meter (metrics.getMeter(name)); it has no ${method}()`,
      );
  }
  // One map per kind, so the hot path builds no lookup key.
  const instruments: Record<MetricKind, Map<string, Emit | null>> = {
    counter: new Map(),
    histogram: new Map(),
    gauge: new Map(),
  };
  const instrument = (key: string, kind: MetricKind): Emit | null => {
    let emit = instruments[kind].get(key);
    if (emit === undefined) {
      emit = create(meter, key, kind);
      instruments[kind].set(key, emit);
    }
    return emit;
  };
  const emit = (key: string, kind: MetricKind, value: number, attributes: MetricAttributes | undefined) => {
    if (!Number.isFinite(value) || (kind === 'counter' && value < 0)) return;
    instrument(key, kind)?.(value, attributes);
  };

  return {
    increment: (name, by = 1, attributes) => emit(name, 'counter', by, attributes),
    record: (name, value, attributes) => emit(name, 'histogram', value, attributes),
    gauge: (name, value, attributes) => emit(name, 'gauge', value, attributes),
  };
}

/** The instrument for `key` used as `kind`, or `null` when the catalog says it is another kind. */
function create(meter: MeterLike, key: string, kind: MetricKind): Emit | null {
  const spec = metricSpec(key);
  if (spec !== undefined && spec.kind !== kind) return null;
  const name = spec?.name ?? `chatshift.${key.replace(/[^A-Za-z0-9_.]/g, '_')}`;
  const options: InstrumentOptions = {
    description: spec?.description ?? `chatshift metric '${key}' (not in the catalog)`,
    ...(spec === undefined ? {} : { unit: spec.unit }),
  };
  const labels = labelsOf(spec);
  if (kind === 'counter') {
    if (typeof meter.createObservableCounter === 'function') {
      // Summed here and read at each collection: the hot path (a count per frame or event) is a
      // lookup by the attributes object and an addition (bench: openTelemetryMetrics row).
      const cells = new Map<string, Cell>();
      const byObject = new WeakMap<object, Cell>();
      meter.createObservableCounter(name, options).addCallback((result) => {
        for (const c of cells.values()) result.observe(c.value, c.attributes);
      });
      return (value, raw) => {
        const ref = raw ?? NO_ATTRIBUTES;
        let cell = byObject.get(ref);
        if (cell === undefined) {
          const attributes = labels(raw);
          const id = attributeKey(attributes);
          cell = cells.get(id);
          if (cell === undefined) cells.set(id, (cell = { value: 0, attributes }));
          byObject.set(ref, cell);
        }
        cell.value += value;
      };
    }
    const counter = meter.createCounter(name, options);
    return (value, raw) => counter.add(value, labels(raw));
  }
  if (kind === 'histogram') {
    const histogram = meter.createHistogram(name, options);
    return (value, raw) => histogram.record(value, labels(raw));
  }
  if (typeof meter.createGauge === 'function') {
    const gauge = meter.createGauge(name, options);
    return (value, raw) => gauge.record(value, labels(raw));
  }
  // Before api 1.9: the last level per attribute set, observed at each collection.
  const levels = new Map<string, { value: number; attributes: OtelAttributes }>();
  meter.createObservableGauge(name, options).addCallback((result) => {
    for (const level of levels.values()) result.observe(level.value, level.attributes);
  });
  return (value, raw) => {
    const attributes = labels(raw);
    levels.set(attributeKey(attributes), { value, attributes });
  };
}

const NO_ATTRIBUTES: MetricAttributes = Object.freeze({});

/** A stable key for an attribute set, whatever the order of its keys. */
const attributeKey = (attributes: OtelAttributes): string =>
  JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/**
 * The filtered attributes of `spec` for a caller's attributes, remembered per attributes object
 * (they are read-only), so a sink called with the same object again does no work.
 */
function labelsOf(spec: MetricSpec | undefined): (raw: MetricAttributes | undefined) => OtelAttributes {
  const cache = new WeakMap<object, OtelAttributes>();
  const none = filterAttributes(spec, undefined);
  return (raw) => {
    if (raw === undefined) return none;
    let out = cache.get(raw);
    if (out === undefined) cache.set(raw, (out = filterAttributes(spec, raw)));
    return out;
  };
}

/** Only the attribute keys `spec` allows (the catalog's keys for an unknown name), plus its constants. */
function filterAttributes(
  spec: MetricSpec | undefined,
  attributes: MetricAttributes | undefined,
): OtelAttributes {
  const out: OtelAttributes = {};
  if (attributes !== undefined) {
    const allowed = (spec === undefined ? undefined : ALLOWED.get(spec.key)) ?? SAFE_KEYS;
    for (const [k, v] of Object.entries(attributes)) {
      if (!allowed.has(k)) continue;
      if (
        typeof v === 'string'
          ? v.length <= MAX_ATTRIBUTE_LENGTH
          : typeof v === 'number' || typeof v === 'boolean'
      )
        out[k] = v;
    }
  }
  return spec?.constant === undefined ? out : { ...out, ...spec.constant };
}
