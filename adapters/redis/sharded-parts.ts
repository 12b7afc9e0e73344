// Small parts of the sharded runner: a store wrapper, the backends of a shard, error text, a
// signal as an Observable.
import { Observable } from 'rxjs';
import type { CheckpointStore } from '../../src/checkpoint/store.js';
import { isChatshiftError } from '../../src/errors.js';
import type { Backend } from '../../src/runtime/backend.js';

/** `store`, calling `failed` when a save fails (the failure still goes to the caller). */
export function noticingFailedFlush(store: CheckpointStore, failed: () => void): CheckpointStore {
  return {
    load: (backend) => store.load(backend),
    save: (backend, changes) =>
      store.save(backend, changes).catch((e: unknown) => {
        failed();
        throw e;
      }),
  };
}

export function backendsOf(b: { legacy?: Backend | undefined; messaging?: Backend | undefined }): {
  legacy?: Backend;
  messaging?: Backend;
} {
  return {
    ...(b.legacy === undefined ? {} : { legacy: b.legacy }),
    ...(b.messaging === undefined ? {} : { messaging: b.messaging }),
  };
}

export const errorText = (e: unknown): string =>
  isChatshiftError(e) ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);

export function abortSignal$(signal: AbortSignal): Observable<void> {
  return new Observable<void>((subscriber) => {
    const fire = (): void => subscriber.complete();
    if (signal.aborted) return fire();
    signal.addEventListener('abort', fire, { once: true });
    return () => signal.removeEventListener('abort', fire);
  });
}
