import { Observable } from 'rxjs';
import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import { isBackendChoice, type BackendChoice } from './backend-flag.js';

/**
 * The part of an OpenFeature server-SDK `Client` this adapter uses. Structural, so chatshift needs
 * `@openfeature/server-sdk` only as an optional peer: pass `OpenFeature.getClient()`.
 */
export interface OpenFeatureClientLike {
  getStringValue(flagKey: string, defaultValue: string, context?: Record<string, unknown>): Promise<string>;
  addHandler(eventType: string, handler: (details?: unknown) => void): void;
  removeHandler(eventType: string, handler: (details?: unknown) => void): void;
}

export interface FromOpenFeatureOptions {
  /** Value used when the flag is missing or the provider errors. Default `'legacy-chat'` (the safe side). */
  defaultValue?: BackendChoice;
  /** Where unknown flag values are reported. */
  logger?: Logger;
}

// OpenFeature's ProviderEvents values (stable strings of the spec).
const READY = 'PROVIDER_READY';
const CHANGED = 'PROVIDER_CONFIGURATION_CHANGED';

/**
 * Follows an OpenFeature flag as an `Observable<BackendChoice>` for `conversationEvents({ backend })`:
 * evaluates it on subscribe, and again whenever the provider reports it is ready or its
 * configuration changed. Unknown values are logged and skipped (the current backend stays).
 */
export function fromOpenFeature(
  client: OpenFeatureClientLike,
  flagKey: string,
  context: Record<string, unknown> = {},
  options: FromOpenFeatureOptions = {},
): Observable<BackendChoice> {
  const fallback = options.defaultValue ?? 'legacy-chat';
  const logger = options.logger ?? silentLogger;
  return new Observable<BackendChoice>((subscriber) => {
    let closed = false;
    let last: BackendChoice | undefined;
    // Evaluations may resolve out of order; only the newest one counts.
    let generation = 0;
    const evaluate = () => {
      const mine = ++generation;
      client.getStringValue(flagKey, fallback, context).then(
        (value) => {
          if (closed || mine !== generation) return;
          if (!isBackendChoice(value)) {
            logger.warn(`OpenFeature flag ${flagKey} has unknown value ${JSON.stringify(value)}; ignored`, {
              flagKey,
            });
            return;
          }
          if (value !== last) subscriber.next((last = value));
        },
        (e: unknown) =>
          logger.warn(`OpenFeature flag ${flagKey} could not be evaluated; keeping the current backend`, {
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
}
