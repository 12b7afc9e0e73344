import assert from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';
import { backendFlag$, type BackendChoice } from '../../src/cutover/backend-flag.js';
import { recordingLogger, type RecordingLogger } from '../support/logger.js';

// Marble diagrams on virtual time: one frame is 1 ms. Values: l = legacy-chat, m = messaging, b = both.
const values = { l: 'legacy-chat', m: 'messaging', b: 'both' } as const;

const warnings = (log: RecordingLogger) => log.records.filter((r) => r.level === 'warn');

const testScheduler = () => new TestScheduler((actual, expected) => assert.deepEqual(actual, expected));

/** A flag function answering from a script, one entry per evaluation (the last repeats); an Error throws. */
function scripted(answers: ReadonlyArray<BackendChoice | Error | unknown>) {
  const at: number[] = [];
  let calls = 0;
  const fn = (scheduler: TestScheduler) => (): BackendChoice => {
    at.push(scheduler.now());
    const a = answers[Math.min(calls++, answers.length - 1)];
    if (a instanceof Error) throw a;
    return a as BackendChoice;
  };
  return { fn, at };
}

describe('backendFlag$ (marbles)', () => {
  it('emits a fixed value once and completes', () => {
    const ts = testScheduler();
    ts.run(({ expectObservable }) => {
      expectObservable(backendFlag$('both', { everyMs: 10, scheduler: ts, logger: recordingLogger() })).toBe(
        '(b|)',
        values,
      );
    });
  });

  it('passes an Observable flag through untouched, repeats, errors and completion included', () => {
    const ts = testScheduler();
    ts.run(({ cold, expectObservable, expectSubscriptions }) => {
      const flag = cold<BackendChoice>('l-l-m 5ms b-#', values);
      expectObservable(backendFlag$(flag, { everyMs: 10, scheduler: ts, logger: recordingLogger() })).toBe(
        'l-l-m 5ms b-#',
        values,
      );
      expectSubscriptions(flag.subscriptions).toBe('^ 11ms !');
    });
  });

  it('evaluates a function at once and then every everyMs, emitting only changes', () => {
    const ts = testScheduler();
    const script = scripted(['legacy-chat', 'legacy-chat', 'both', 'both', 'messaging', 'legacy-chat']);
    ts.run(({ expectObservable }) => {
      const flag$ = backendFlag$(script.fn(ts), { everyMs: 10, scheduler: ts, logger: recordingLogger() });
      expectObservable(flag$, '^ 55ms !').toBe('l 19ms b 19ms m 9ms l', values);
    });
    assert.deepEqual(script.at, [0, 10, 20, 30, 40, 50]);
  });

  it('keeps the current value when an evaluation throws, logs it, and goes on evaluating', () => {
    const ts = testScheduler();
    const log = recordingLogger();
    const script = scripted(['legacy-chat', new Error('flag service down'), 'legacy-chat', 'messaging']);
    ts.run(({ expectObservable }) => {
      const flag$ = backendFlag$(script.fn(ts), { everyMs: 10, scheduler: ts, logger: log });
      expectObservable(flag$, '^ 35ms !').toBe('l 29ms m', values);
    });
    assert.equal(warnings(log).length, 1);
    assert.match(warnings(log)[0]?.message ?? '', /keeping the current backend/);
    assert.deepEqual(warnings(log)[0]?.fields, { error: 'flag service down' });
  });

  it('still emits nothing until the first evaluation that does not throw', () => {
    const ts = testScheduler();
    const log = recordingLogger();
    const script = scripted([new Error('not ready'), new Error('not ready'), 'messaging']);
    ts.run(({ expectObservable }) => {
      expectObservable(
        backendFlag$(script.fn(ts), { everyMs: 5, scheduler: ts, logger: log }),
        '^ 12ms !',
      ).toBe('10ms m', values);
    });
    assert.equal(warnings(log).length, 2);
  });

  it('passes on a value that is not a backend, for the switch to judge', () => {
    const ts = testScheduler();
    const script = scripted(['sms', 'sms', 'legacy-chat']);
    ts.run(({ expectObservable }) => {
      expectObservable(
        backendFlag$(script.fn(ts), { everyMs: 10, scheduler: ts, logger: recordingLogger() }),
        '^ 25ms !',
      ).toBe('s 19ms l', { ...values, s: 'sms' });
    });
  });

  it('stops evaluating once unsubscribed', () => {
    const ts = testScheduler();
    const script = scripted(['legacy-chat']);
    ts.run(({ expectObservable }) => {
      expectObservable(
        backendFlag$(script.fn(ts), { everyMs: 10, scheduler: ts, logger: recordingLogger() }),
        '^ 24ms !',
      ).toBe('l', values);
    });
    assert.deepEqual(script.at, [0, 10, 20]);
  });
});
