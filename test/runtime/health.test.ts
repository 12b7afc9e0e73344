import assert from 'node:assert/strict';
import { BehaviorSubject, NEVER, Subject, type Observable } from 'rxjs';
import { ChatshiftError } from '../../src/errors.js';
import { HealthTracker, type BackendHealth, type HealthReporter } from '../../src/runtime/health.js';

/** A tracked run the test drives by hand: its reporter and the subject standing for its stream. */
function run(tracker: HealthTracker, draining?: Observable<boolean>) {
  const box: { reporter?: HealthReporter } = {};
  const stream = new Subject<never>();
  const sub = tracker
    .track(draining === undefined ? {} : { draining }, (reporter) => {
      box.reporter = reporter;
      return stream;
    })
    .subscribe({ error: () => {} });
  return { reporter: box.reporter as HealthReporter, stream, sub };
}

describe('HealthTracker', () => {
  let seen: BackendHealth[];
  let tracker: HealthTracker;
  beforeEach(() => {
    tracker = new HealthTracker();
    seen = [];
    tracker.health$.subscribe((h) => seen.push(h));
  });
  const states = () => seen.map((h) => (h.code === undefined ? h.state : `${h.state}:${h.code}`));

  it('starts stopped, follows a run through a reconnect, and is stopped again after unsubscribe', () => {
    const r = run(tracker);
    r.reporter.connected();
    r.reporter.connected(); // no change, no value
    r.reporter.backingOff('ERR_CONNECTION');
    r.reporter.connecting();
    r.reporter.connected();
    r.sub.unsubscribe();
    r.reporter.connected(); // after the end: ignored
    assert.deepEqual(states(), [
      'stopped',
      'connecting',
      'connected',
      'backing-off:ERR_CONNECTION',
      'connecting',
      'connected',
      'stopped',
    ]);
  });

  it('shows draining only while connected, and back to connected when the drain is cancelled', () => {
    const draining = new BehaviorSubject(false);
    const r = run(tracker, draining);
    draining.next(true); // still connecting
    r.reporter.connected();
    r.reporter.backingOff();
    r.reporter.connected();
    draining.next(false);
    r.stream.complete();
    assert.deepEqual(states(), [
      'stopped',
      'connecting',
      'draining',
      'backing-off',
      'draining',
      'connected',
      'stopped',
    ]);
  });

  it('ends auth-refused on a refused credential, stopped with the code on other failures', () => {
    const a = run(tracker);
    a.stream.error(new ChatshiftError('ERR_AUTH_REJECTED', 'refused'));
    const b = run(tracker);
    b.stream.error(new ChatshiftError('ERR_RETRIES_EXHAUSTED', 'gave up'));
    const c = run(tracker);
    c.stream.error(new Error('not coded'));
    assert.deepEqual(states(), [
      'stopped',
      'connecting',
      'auth-refused:ERR_AUTH_REJECTED',
      'connecting',
      'stopped:ERR_RETRIES_EXHAUSTED',
      'connecting',
      'stopped',
    ]);
  });

  it('follows the newest of two runs, and the remaining one when that ends', () => {
    const first = run(tracker);
    first.reporter.connected();
    const second = run(tracker);
    first.reporter.backingOff(); // not shown: the newest run is shown
    second.sub.unsubscribe();
    first.sub.unsubscribe();
    assert.deepEqual(states(), [
      'stopped',
      'connecting',
      'connected',
      'connecting',
      'backing-off',
      'stopped',
    ]);
  });

  it('gives a late subscriber the current value first', () => {
    const r = tracker.track({}, () => NEVER).subscribe();
    const late: BackendHealth[] = [];
    tracker.health$.subscribe((h) => late.push(h)).unsubscribe();
    assert.deepEqual(late, [{ state: 'connecting' }]);
    r.unsubscribe();
  });
});
