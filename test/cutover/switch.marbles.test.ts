import assert from 'node:assert/strict';
import {
  catchError,
  defer,
  delay,
  filter,
  finalize,
  map,
  NEVER,
  switchMap,
  take,
  takeUntil,
  throwError,
  timer,
  type Observable,
} from 'rxjs';
import { TestScheduler, type RunHelpers } from 'rxjs/testing';
import { switchBackends, type SourceFactory } from '../../src/cutover/switch.js';
import { isChatshiftError } from '../../src/errors.js';
import type { BackendId, ConversationEvent } from '../../src/model/event.js';

// Marble diagrams on virtual time (one frame = 1 ms). Flag values: l = legacy-chat, m = messaging,
// b = both, x = not a backend. A source emits the letters of its marble as conversation ids and,
// told to drain, completes `drainMs` later (its last open conversation closed).

const flags = { l: 'legacy-chat', m: 'messaging', b: 'both', x: 'sms' } as const;

const event = (backend: BackendId, conversationId: string): ConversationEvent => ({
  id: `${backend}:${conversationId}:1`,
  backend,
  conversationId,
  seq: 1,
  time: '2020-01-01T00:00:00.000Z',
  type: 'state',
  state: 'open',
});

interface SourceScript {
  /** The source's events, a cold marble started anew at each start. */
  marble: string;
  /** Frames between being told to drain and completing (a resume before that cancels it). Default 1. */
  drainMs?: number;
  /** Completes `drainMs` after the first drain even if resumed meanwhile (it decided to finish). */
  ignoresResume?: boolean;
}

function setup(helpers: RunHelpers, scheduler: TestScheduler) {
  const decisions: string[] = [];
  const draining: Record<BackendId, string[]> = { 'legacy-chat': [], messaging: [] };
  const source = (backend: BackendId, script: SourceScript) => {
    const events = helpers.cold<string>(script.marble);
    const drainMs = script.drainMs ?? 1;
    const factory: SourceFactory = (control) =>
      defer(() => {
        const seen = control.draining.subscribe((d) =>
          draining[backend].push(`${d ? 'drain' : 'normal'}@${scheduler.now()}`),
        );
        const drained = script.ignoresResume
          ? control.draining.pipe(filter(Boolean), take(1), delay(drainMs))
          : control.draining.pipe(switchMap((d) => (d ? timer(drainMs) : NEVER)));
        return events.pipe(
          takeUntil(drained),
          map((id) => event(backend, id)),
          finalize(() => seen.unsubscribe()),
        );
      });
    return { events, factory };
  };
  /** The switch over `flag$` and the given sources, as the conversation ids it emits (errors as codes). */
  const run = (flag$: Observable<unknown>, legacy?: SourceScript, messaging?: SourceScript) => {
    const l = legacy === undefined ? undefined : source('legacy-chat', legacy);
    const m = messaging === undefined ? undefined : source('messaging', messaging);
    const out = switchBackends(
      flag$,
      {
        ...(l === undefined ? {} : { 'legacy-chat': l.factory }),
        ...(m === undefined ? {} : { messaging: m.factory }),
      },
      {
        logger: { warn: () => {}, error: () => {} },
        onDecision: (d) => decisions.push(`${d.action} ${d.backend}@${scheduler.now()}`),
      },
    ).pipe(
      map((e) => e.conversationId),
      catchError((e: unknown) => throwError(() => (isChatshiftError(e) ? e.code : e))),
    );
    return { out, legacy: l?.events, messaging: m?.events };
  };
  return { run, decisions, draining };
}

/** Frames as `frame:value`, `frame:|` and `frame:#error` (subscription logs pass unchanged): short failure diffs. */
function compact(frames: unknown): unknown {
  if (!Array.isArray(frames)) return frames;
  return frames.map(
    (f: { frame?: number; notification?: { kind: string; value?: unknown; error?: unknown } }) => {
      const n = f.notification;
      if (f.frame === undefined || n === undefined) return f;
      return `${f.frame}:${n.kind === 'N' ? String(n.value) : n.kind === 'C' ? '|' : `#${String(n.error)}`}`;
    },
  );
}

function marbles(test: (helpers: RunHelpers, h: ReturnType<typeof setup>) => void) {
  const scheduler = new TestScheduler((actual, expected) =>
    assert.deepEqual(compact(actual), compact(expected)),
  );
  let h: ReturnType<typeof setup> | undefined;
  scheduler.run((helpers) => {
    h = setup(helpers, scheduler);
    test(helpers, h);
  });
  return h as ReturnType<typeof setup>;
}

describe('switchBackends (marbles)', () => {
  it('starts only the flagged backend and passes its events on', () => {
    const h = marbles(({ hot, expectObservable, expectSubscriptions }, h) => {
      const r = h.run(hot('l', flags), { marble: 'a-b-c' }, { marble: '-p-q-r' });
      expectObservable(r.out, '^ 9ms !').toBe('a-b-c');
      expectSubscriptions(r.messaging!.subscriptions).toBe([]);
    });
    assert.deepEqual(h.decisions, ['start legacy-chat@0']);
  });

  it('starts the second backend when the flag goes to both, and drains the first when it goes to the other', () => {
    const h = marbles(({ hot, expectObservable, expectSubscriptions }, h) => {
      const flag$ = hot('l 3ms b 3ms m', flags);
      const r = h.run(flag$, { marble: 'a-b-c-d-e-f-g', drainMs: 3 }, { marble: '-p-q-r-s' });
      // legacy: told to drain at 8, stops at 11 (f at 10 still comes); messaging: started at 4
      expectObservable(r.out, '^ 14ms !').toBe('a-b-cpdqerfs');
      expectSubscriptions(r.legacy!.subscriptions).toBe('^ 10ms !');
      expectSubscriptions(r.messaging!.subscriptions).toBe('----^ 10ms !');
    });
    assert.deepEqual(h.decisions, [
      'start legacy-chat@0',
      'start messaging@4',
      'drain legacy-chat@8',
      'stopped legacy-chat@11',
    ]);
    assert.deepEqual(h.draining['legacy-chat'], ['normal@0', 'drain@8']);
    assert.deepEqual(h.draining.messaging, ['normal@4']);
  });

  it('keeps a draining backend’s events flowing until it completes, then stops it for good', () => {
    const h = marbles(({ hot, expectObservable, expectSubscriptions }, h) => {
      const r = h.run(hot('l 1ms m', flags), { marble: 'abcdefghij', drainMs: 4 }, { marble: '' });
      // told to drain at 2, completes at 6 (g, due at 6 too, was already on its way)
      expectObservable(r.out, '^ 9ms !').toBe('abcdefg');
      expectSubscriptions(r.legacy!.subscriptions).toBe('^ 5ms !');
    });
    assert.deepEqual(h.decisions, [
      'start legacy-chat@0',
      'drain legacy-chat@2',
      'start messaging@2',
      'stopped legacy-chat@6',
    ]);
  });

  it('resumes a draining backend when the flag rolls back, without restarting it', () => {
    const h = marbles(({ hot, expectObservable, expectSubscriptions }, h) => {
      const r = h.run(hot('l 1ms m 1ms l', flags), { marble: 'abcdefgh', drainMs: 3 }, { marble: '' });
      expectObservable(r.out, '^ 9ms !').toBe('abcdefgh');
      expectSubscriptions(r.legacy!.subscriptions).toBe('^ 9ms !');
    });
    assert.deepEqual(h.draining['legacy-chat'], ['normal@0', 'drain@2', 'normal@4']);
    assert.deepEqual(h.decisions, [
      'start legacy-chat@0',
      'drain legacy-chat@2',
      'start messaging@2',
      'resume legacy-chat@4',
      'drain messaging@4',
      'stopped messaging@5',
    ]);
  });

  it('starts a backend again, from its start, when it is flagged on after it stopped', () => {
    const h = marbles(({ hot, expectObservable, expectSubscriptions }, h) => {
      const r = h.run(hot('l 1ms m 4ms l', flags), { marble: 'abcd', drainMs: 1 }, { marble: '' });
      expectObservable(r.out, '^ 12ms !').toBe('abcd 3ms abcd');
      expectSubscriptions(r.legacy!.subscriptions).toBe(['^--!', '-------^ 5ms !']);
    });
    assert.deepEqual(h.decisions, [
      'start legacy-chat@0',
      'drain legacy-chat@2',
      'start messaging@2',
      'stopped legacy-chat@3',
      'start legacy-chat@7',
      'drain messaging@7',
      'stopped messaging@8',
    ]);
  });

  it('starts a backend again when the rollback reaches it just before it finished draining', () => {
    const h = marbles(({ hot, expectObservable, expectSubscriptions }, h) => {
      // told to drain at 2, the source decides to complete at 5; the rollback comes at 5, just before
      const r = h.run(
        hot('l 1ms m 2ms l', flags),
        { marble: '-abcdefgh', drainMs: 3, ignoresResume: true },
        { marble: '' },
      );
      expectObservable(r.out, '^ 9ms !').toBe('-abcdeabcd');
      expectSubscriptions(r.legacy!.subscriptions).toBe(['^----!', '-----^----!']);
    });
    assert.deepEqual(
      h.decisions.filter((d) => d.includes('legacy-chat')),
      [
        'start legacy-chat@0',
        'drain legacy-chat@2',
        'resume legacy-chat@5',
        'stopped legacy-chat@5',
        'start legacy-chat@5',
      ],
    );
  });

  it('ignores a value that is not a backend once running, keeping the current one', () => {
    const h = marbles(({ hot, expectObservable }, h) => {
      const r = h.run(hot('l 2ms x', flags), { marble: 'a-b-c-d' }, { marble: 'p' });
      expectObservable(r.out, '^ 9ms !').toBe('a-b-c-d');
    });
    assert.deepEqual(h.decisions, ['start legacy-chat@0', 'ignored legacy-chat@3']);
    assert.deepEqual(h.draining['legacy-chat'], ['normal@0']);
  });

  it('ignores a flag naming a backend without options once running', () => {
    const h = marbles(({ hot, expectObservable }, h) => {
      const r = h.run(hot('l 2ms b', flags), { marble: 'a-b-c' });
      expectObservable(r.out, '^ 9ms !').toBe('a-b-c');
    });
    assert.deepEqual(h.decisions, ['start legacy-chat@0', 'ignored messaging@3']);
  });

  it('fails with ERR_BACKEND_UNAVAILABLE when the first value is not a usable backend, starting nothing', () => {
    const h = marbles(({ hot, expectObservable, expectSubscriptions }, h) => {
      const unknown = h.run(hot('--x', flags), { marble: 'a' }, { marble: 'p' });
      expectObservable(unknown.out).toBe('--#', undefined, 'ERR_BACKEND_UNAVAILABLE');
      expectSubscriptions(unknown.legacy!.subscriptions).toBe([]);
      const missing = h.run(hot('m', flags), { marble: 'a' });
      expectObservable(missing.out).toBe('#', undefined, 'ERR_BACKEND_UNAVAILABLE');
    });
    assert.deepEqual(h.decisions, []);
  });

  it('completes once the flag has completed and every source has stopped', () => {
    marbles(({ cold, expectObservable }, h) => {
      // legacy is told to drain at 3 and stops at 5; messaging, started at 3, ends on its own at 8
      const r = h.run(cold('l 2ms m|', flags), { marble: 'a-b-c-d-e', drainMs: 2 }, { marble: '--p-q|' });
      expectObservable(r.out).toBe('a-b-cp-q|');
    });
  });

  it('does not complete while a source still runs after the flag completed', () => {
    marbles(({ cold, expectObservable }, h) => {
      expectObservable(h.run(cold('l|', flags), { marble: 'a-b-c' }).out, '^ 9ms !').toBe('a-b-c');
    });
  });

  it('fails when a source fails, tearing the other source down', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, h) => {
      const r = h.run(cold('b', flags), { marble: 'a-b-c-d' }, { marble: '-p-#' });
      expectObservable(r.out).toBe('apb#');
      expectSubscriptions(r.legacy!.subscriptions).toBe('^--!');
    });
  });

  it('fails when the flag stream fails, tearing the sources down', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }, h) => {
      const r = h.run(cold('l-#', flags), { marble: 'a-b-c' });
      expectObservable(r.out).toBe('a-#');
      expectSubscriptions(r.legacy!.subscriptions).toBe('^-!');
    });
  });

  it('tears every source and the flag down when unsubscribed', () => {
    marbles(({ hot, expectObservable, expectSubscriptions }, h) => {
      const flag$ = hot('b', flags);
      const r = h.run(flag$, { marble: 'a-b-c-d' }, { marble: '-p-q-r-s' });
      expectObservable(r.out, '^---!').toBe('apbq');
      expectSubscriptions(flag$.subscriptions).toBe('^---!');
      expectSubscriptions(r.legacy!.subscriptions).toBe('^---!');
      expectSubscriptions(r.messaging!.subscriptions).toBe('^---!');
    });
  });
});
