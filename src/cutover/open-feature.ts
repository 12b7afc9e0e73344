import { Observable } from 'rxjs';
import { ChatshiftError } from '../errors.js';
import type { Logger } from '../runtime/logger.js';
import { asLogger, silentLogger } from '../runtime/logger.js';
import { backendChoices, isBackendChoice, type BackendChoice } from './backend-flag.js';

/**
 * The part of an OpenFeature server-SDK `Client` this adapter uses. Structural, so chatshift needs
 * `@openfeature/server-sdk` only as an optional peer: pass `OpenFeature.getClient()`.
 */
export interface OpenFeatureClientLike {
  getStringValue(flagKey: string, defaultValue: string, context?: Record<string, unknown>): Promise<string>;
  /**
   * Used instead of `getStringValue` when present (every OpenFeature client has it): its
   * `errorCode` (`FLAG_NOT_FOUND`, `TYPE_MISMATCH`, …) and `reason` say why the default was used.
   */
  getStringDetails?(
    flagKey: string,
    defaultValue: string,
    context?: Record<string, unknown>,
  ): Promise<{ value: string; reason?: string; errorCode?: string; errorMessage?: string }>;
  addHandler(eventType: string, handler: (details?: unknown) => void): void;
  removeHandler(eventType: string, handler: (details?: unknown) => void): void;
}

export interface FromOpenFeatureOptions {
  /** Value used when the flag is missing or the provider errors. Default `'legacy-chat'` (the safe side). */
  defaultValue?: BackendChoice;
  /**
   * Where a flag that cannot be used is reported (a value that is not a backend, a flag key the
   * provider does not know, a provider error). Default: the logger of the `conversationEvents`
   * (or `consume`) it is given to.
   */
  logger?: Logger;
}

// OpenFeature's ProviderEvents values (stable strings of the spec).
const READY = 'PROVIDER_READY';
const CHANGED = 'PROVIDER_CONFIGURATION_CHANGED';

/** The logger of the `conversationEvents` a flag from {@link fromOpenFeature} was given to. */
const boundLoggers = new WeakMap<object, { logger: Logger }>();

/**
 * Lets a flag made by {@link fromOpenFeature} without a logger of its own report through `logger`
 * (`conversationEvents` calls it with its own). Anything else is left alone.
 */
export function bindFlagLogger(flag: unknown, logger: Logger): void {
  if (typeof flag === 'object' && flag !== null) {
    const bound = boundLoggers.get(flag);
    if (bound !== undefined) bound.logger = logger;
  }
}

/**
 * Follows an OpenFeature flag as an `Observable<BackendChoice>` for `conversationEvents({ backend })`:
 * evaluates it on subscribe, and again whenever the provider reports it is ready or its
 * configuration changed.
 *
 * Misconfiguration is loud: a first value that is not `'legacy-chat'`, `'messaging'` or `'both'`
 * (a variant `'legacy'`) fails the stream with `ERR_BACKEND_UNAVAILABLE`; a later one is logged at
 * `warn` and skipped (the current backend stays). A flag key the provider does not know
 * (`FLAG_NOT_FOUND`) or a provider error is logged once at `warn` with its error code and the
 * default used.
 *
 * @example
 * ```ts
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { conversationEvents, fromOpenFeature } from 'chatshift';
 *
 * const backend$ = fromOpenFeature(OpenFeature.getClient(), 'chatshift-backend', { accountId });
 * conversationEvents({ backend: backend$, legacy, messaging }).subscribe(handle);
 * ```
 */
export function fromOpenFeature(
  client: OpenFeatureClientLike,
  flagKey: string,
  context: Record<string, unknown> = {},
  options: FromOpenFeatureOptions = {},
): Observable<BackendChoice> {
  const fallback = options.defaultValue ?? 'legacy-chat';
  const bound = { logger: silentLogger };
  const own = options.logger === undefined ? undefined : asLogger(options.logger);
  const log = (): Logger => own ?? bound.logger;
  const flag$ = new Observable<BackendChoice>((subscriber) => {
    let closed = false;
    let last: BackendChoice | undefined;
    /** Problems already reported (one warning each, again only after the flag was fine). */
    const reported = new Set<string>();
    const warnOnce = (key: string, message: string, fields: Record<string, unknown>): void => {
      if (reported.has(key)) return;
      reported.add(key);
      log().warn(message, fields);
    };
    // Evaluations may resolve out of order; only the newest one counts.
    let generation = 0;
    const read = async (): Promise<string> => {
      if (client.getStringDetails === undefined) return client.getStringValue(flagKey, fallback, context);
      const d = await client.getStringDetails(flagKey, fallback, context);
      if (d.errorCode !== undefined && d.errorCode !== 'PROVIDER_NOT_READY')
        warnOnce(
          `code:${d.errorCode}`,
          d.errorCode === 'FLAG_NOT_FOUND'
            ? `OpenFeature flag ${flagKey} was not found (FLAG_NOT_FOUND); using the default '${d.value}' — is the key spelled right?`
            : `OpenFeature flag ${flagKey} could not be evaluated (${d.errorCode}); using the default '${d.value}'`,
          {
            code: 'ERR_BACKEND_UNAVAILABLE',
            flagKey,
            errorCode: d.errorCode,
            reason: d.reason,
            ...(d.errorMessage === undefined ? {} : { errorMessage: d.errorMessage }),
          },
        );
      else reported.clear();
      return d.value;
    };
    const evaluate = () => {
      const mine = ++generation;
      read().then(
        (value) => {
          if (closed || mine !== generation) return;
          if (!isBackendChoice(value)) {
            const message = `OpenFeature flag ${flagKey} has the value ${JSON.stringify(value)}, not a backend (expected ${backendChoices.map((c) => `'${c}'`).join(', ')})`;
            if (last === undefined) {
              subscriber.error(
                new ChatshiftError('ERR_BACKEND_UNAVAILABLE', message, { details: { flagKey, flag: value } }),
              );
              return;
            }
            warnOnce(`value:${value}`, `${message}; ignored, keeping '${last}'`, {
              code: 'ERR_BACKEND_UNAVAILABLE',
              flagKey,
            });
            return;
          }
          for (const key of reported) if (key.startsWith('value:')) reported.delete(key);
          if (value !== last) subscriber.next((last = value));
        },
        (e: unknown) =>
          log().warn(`OpenFeature flag ${flagKey} could not be evaluated; keeping the current backend`, {
            flagKey,
            error: e instanceof Error ? e.message : String(e),
          }),
      );
    };
    client.addHandler(READY, evaluate);
    client.addHandler(CHANGED, evaluate);
    evaluate();
    return () => {
      closed = true;
      client.removeHandler(READY, evaluate);
      client.removeHandler(CHANGED, evaluate);
    };
  });
  boundLoggers.set(flag$, bound);
  return flag$;
}
