import type { SchedulerLike } from 'rxjs';
import type { CheckpointStore } from '../checkpoint/store.js';
import { ChatshiftError } from '../errors.js';
import { resolveBackoff, type BackoffOptions, type ResolvedBackoff } from './backoff.js';
import type { BearerSource } from './bearer.js';
import type { FlowControl } from './flow.js';
import { asLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * Node runs a timer longer than 2^31−1 ms after about 1 ms, so a delay above it would turn a wait
 * into a hot loop: every duration option is bounded by it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The options every backend shares, checked once here so both adapters answer alike. */
export interface SharedOptions {
  bearer: BearerSource;
  backoff?: BackoffOptions;
  scheduler?: SchedulerLike;
  logger?: Logger;
  metrics?: Metrics;
  checkpoint?: CheckpointStore;
  flow?: FlowControl;
  allowInsecureTransport?: boolean;
}

/**
 * Shared options after checking. `logger`, `metrics`, `checkpoint`, `flow` and `scheduler` stay
 * unset when not given, so that a composer's (`conversationEvents`) defaults can fill them.
 */
export interface ResolvedSharedOptions {
  bearer: BearerSource;
  backoff: ResolvedBackoff;
  scheduler?: SchedulerLike;
  logger?: Logger;
  metrics?: Metrics;
  checkpoint?: CheckpointStore;
  flow?: FlowControl;
  allowInsecureTransport: boolean;
}

/**
 * One message style for every bad option: `${caller}: ${option} must be ${expectation}`, thrown
 * as `ERR_INVALID_OPTIONS` when the factory is called. The bad value itself is never echoed: it
 * may be a secret.
 */
export class OptionsChecker {
  constructor(readonly caller: string) {}

  fail(option: string, expectation: string): never {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', `${this.caller}: ${option} must be ${expectation}`, {
      details: { option },
    });
  }

  /** The options bag itself. */
  object(o: unknown): Record<string, unknown> {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) this.fail('options', 'an object');
    return o as Record<string, unknown>;
  }

  /** A positive number (a duration, a size or a count), `dflt` when unset. */
  positive(
    option: string,
    v: unknown,
    dflt: number,
    bounds: { integer?: boolean; max?: number; ms?: boolean } = {},
  ): number {
    if (v === undefined) return dflt;
    const max = bounds.max ?? (bounds.ms === true ? MAX_TIMER_MS : Number.MAX_SAFE_INTEGER);
    const kind = bounds.integer === true ? 'integer' : 'number';
    if (
      typeof v !== 'number' ||
      !Number.isFinite(v) ||
      v <= 0 ||
      v > max ||
      (bounds.integer === true && !Number.isInteger(v))
    )
      this.fail(option, `a positive ${kind} up to ${max}${bounds.ms === true ? ' ms' : ''}`);
    return v;
  }

  /** A non-empty string, or undefined when optional and unset. */
  nonEmptyString(option: string, v: unknown): string {
    if (typeof v !== 'string' || v.length === 0) this.fail(option, 'a non-empty string');
    return v;
  }

  /** An object whose named members are functions (a structural interface: a logger, a store…). */
  withMethods<T>(option: string, v: unknown, methods: readonly string[], what: string): T | undefined {
    if (v === undefined) return undefined;
    const o = v as Record<string, unknown> | null;
    if (typeof o !== 'object' || o === null || methods.some((m) => typeof o[m] !== 'function'))
      this.fail(option, `${what} (an object with ${methods.join(', ')})`);
    return v as T;
  }

  boolean(option: string, v: unknown): boolean {
    if (v !== undefined && typeof v !== 'boolean') this.fail(option, 'a boolean');
    return v === true;
  }
}

/** Checks and resolves the shared options of a backend factory; each adapter then checks its own. */
export function resolveSharedOptions(
  check: OptionsChecker,
  o: Record<string, unknown>,
): ResolvedSharedOptions {
  const bearer = o['bearer'];
  if (!((typeof bearer === 'string' && bearer.length > 0) || typeof bearer === 'function'))
    check.fail('bearer', 'a non-empty string or a function returning one');
  const resolved: ResolvedSharedOptions = {
    bearer: bearer as BearerSource,
    backoff: resolveBackoffOption(check, o['backoff']),
    allowInsecureTransport: check.boolean('allowInsecureTransport', o['allowInsecureTransport']),
  };
  const scheduler = check.withMethods<SchedulerLike>(
    'scheduler',
    o['scheduler'],
    ['schedule', 'now'],
    'an RxJS scheduler',
  );
  if (scheduler !== undefined) resolved.scheduler = scheduler;
  const services = resolveServices(check, o);
  return { ...resolved, ...services };
}

/**
 * The services a composer may share with its backends (`conversationEvents` checks its own with
 * this too): logger, metrics, checkpoint store and flow control.
 */
export function resolveServices(
  check: OptionsChecker,
  o: Record<string, unknown>,
): Pick<ResolvedSharedOptions, 'logger' | 'metrics' | 'checkpoint' | 'flow'> {
  const out: Pick<ResolvedSharedOptions, 'logger' | 'metrics' | 'checkpoint' | 'flow'> = {};
  const logger = check.withMethods<Logger>('logger', o['logger'], ['warn', 'error'], 'a logger');
  if (logger !== undefined) {
    for (const level of ['debug', 'info'] as const)
      if (logger[level] !== undefined && typeof logger[level] !== 'function')
        check.fail(`logger.${level}`, 'a function when present');
    out.logger = asLogger(logger);
  }
  const metrics = check.withMethods<Metrics>('metrics', o['metrics'], ['increment'], 'a counter sink');
  if (metrics !== undefined) out.metrics = metrics;
  const checkpoint = check.withMethods<CheckpointStore>(
    'checkpoint',
    o['checkpoint'],
    ['load', 'save'],
    'a checkpoint store',
  );
  if (checkpoint !== undefined) out.checkpoint = checkpoint;
  const flow = o['flow'];
  if (flow !== undefined) {
    const f = flow as Partial<FlowControl> | null;
    if (
      typeof f !== 'object' ||
      f === null ||
      typeof f.process !== 'function' ||
      typeof f.whenFlowing !== 'function' ||
      typeof f.checkpoints !== 'function' ||
      typeof f.paused$?.subscribe !== 'function'
    )
      check.fail('flow', 'made by flowControl()');
    out.flow = flow as FlowControl;
  }
  return out;
}

/** Checks a `backoff`-shaped option (`option` names it in errors) and fills its defaults. */
export function resolveBackoffOption(check: OptionsChecker, v: unknown, option = 'backoff'): ResolvedBackoff {
  if (v === undefined) return resolveBackoff(undefined);
  if (typeof v !== 'object' || v === null) check.fail(option, 'an object');
  const b = v as Record<string, unknown>;
  const initialMs = check.positive(`${option}.initialMs`, b['initialMs'], 5000, { ms: true });
  const maxMs = check.positive(`${option}.maxMs`, b['maxMs'], 120_000, { ms: true });
  const factor = b['factor'] ?? 2;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 1000)
    check.fail(`${option}.factor`, 'a number from 1 to 1000');
  const jitter = b['jitter'] ?? 0.2;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))
    check.fail(`${option}.jitter`, 'a number in 0..1');
  const maxAttempts = b['maxAttempts'] ?? Number.POSITIVE_INFINITY;
  if (
    typeof maxAttempts !== 'number' ||
    !(maxAttempts === Number.POSITIVE_INFINITY || (Number.isInteger(maxAttempts) && maxAttempts >= 1))
  )
    check.fail(`${option}.maxAttempts`, 'a positive integer or Infinity');
  return resolveBackoff({ initialMs, maxMs, factor, jitter, maxAttempts });
}
