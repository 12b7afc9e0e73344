import assert from 'node:assert/strict';
import { BehaviorSubject, Observable, Subject, type Subscriber } from 'rxjs';
import { switchBackends, type CutoverDecision, type SourceFactory } from '../../src/cutover/switch.js';
import type { BackendId, ConversationEvent } from '../../src/model/event.js';
import { isChatshiftError } from '../../src/errors.js';

/** A scripted source: records its lifecycle and the draining values it was given. */
function scripted(backend: BackendId) {
  const log: string[] = [];
  let live: Subscriber<ConversationEvent> | undefined;
  let draining: boolean | undefined;
  const factory: SourceFactory = (control) =>
    new Observable<ConversationEvent>((s) => {
      log.push('start');
      live = s;
      const sub = control.draining.subscribe((d) => {
        draining = d;
        log.push(d ? 'draining' : 'normal');
      });
      return () => {
        sub.unsubscribe();
        log.push('stop');
        live = undefined;
      };
    });
  const emit = (conv: string, seq: number) =>
    live?.next({
      id: `${backend}:${conv}:${seq}`,
      backend,
      conversationId: conv,
      seq,
      time: '2020-01-01T00:00:00.000Z',
      type: 'state',
      state: 'open',
    });
  return {
    factory,
    log,
    emit,
    finish: () => live?.complete(),
    fail: (e: unknown) => live?.error(e),
    isDraining: () => draining,
    isLive: () => live !== undefined,
  };
}

function harness(initial: unknown) {
  const flag = new BehaviorSubject<unknown>(initial);
  const legacy = scripted('legacy-chat');
  const messaging = scripted('messaging');
  const decisions: CutoverDecision[] = [];
  const events: string[] = [];
  let error: unknown;
  let completed = false;
  const sub = switchBackends(
    flag,
    { 'legacy-chat': legacy.factory, messaging: messaging.factory },
    { logger: { warn: () => {}, error: () => {} }, onDecision: (d) => decisions.push(d) },
  ).subscribe({
    next: (e) => events.push(e.id),
    error: (e: unknown) => (error = e),
    complete: () => (completed = true),
  });
  return { flag, legacy, messaging, decisions, events, sub, err: () => error, done: () => completed };
}

describe('switchBackends', () => {
  it('runs the flagged backend, then both, then drains legacy until its conversations close', () => {
    const h = harness('legacy-chat');
    h.legacy.emit('a', 1);
    assert.equal(h.messaging.isLive(), false);
    h.flag.next('both');
    h.messaging.emit('m', 1);
    h.flag.next('messaging');
    assert.equal(h.legacy.isDraining(), true);
    h.legacy.emit('a', 2); // an open legacy conversation keeps streaming while draining
    h.legacy.finish(); // the source completes once its last conversation closed
    assert.deepEqual(h.events, ['legacy-chat:a:1', 'messaging:m:1', 'legacy-chat:a:2']);
    assert.deepEqual(
      h.decisions.map((d) => `${d.action} ${d.backend}`),
      ['start legacy-chat', 'start messaging', 'drain legacy-chat', 'stopped legacy-chat'],
    );
    assert.match(h.decisions[2]?.reason ?? '', /flag changed from 'both' to 'messaging'/);
    assert.match(h.decisions[3]?.reason ?? '', /drained/);
    h.sub.unsubscribe();
    assert.deepEqual(h.messaging.log, ['start', 'normal', 'stop']);
  });

  it('a rollback while draining resumes the same source; after it stopped, starts it again', () => {
    const h = harness('legacy-chat');
    h.flag.next('messaging');
    h.flag.next('legacy-chat');
    assert.equal(h.legacy.isDraining(), false);
    assert.deepEqual(h.legacy.log, ['start', 'normal', 'draining', 'normal']);
    h.flag.next('messaging');
    h.legacy.finish();
    h.flag.next('legacy-chat');
    assert.deepEqual(h.legacy.log, [
      'start',
      'normal',
      'draining',
      'normal',
      'draining',
      'stop',
      'start',
      'normal',
    ]);
    assert.deepEqual(
      h.decisions.filter((d) => d.backend === 'legacy-chat').map((d) => d.action),
      ['start', 'drain', 'resume', 'drain', 'stopped', 'start'],
    );
    h.sub.unsubscribe();
  });

  it('fails with ERR_BACKEND_UNAVAILABLE on an unknown first value, and ignores a later one', () => {
    const bad = harness('sms');
    assert.ok(isChatshiftError(bad.err(), 'ERR_BACKEND_UNAVAILABLE'));
    const h = harness('legacy-chat');
    h.flag.next('sms');
    assert.equal(h.err(), undefined);
    assert.equal(h.legacy.isDraining(), false);
    assert.equal(h.decisions.at(-1)?.action, 'ignored');
    h.sub.unsubscribe();
  });

  it('refuses a backend whose options were not given', () => {
    const flag = new Subject<unknown>();
    let error: unknown;
    switchBackends(
      flag,
      { 'legacy-chat': scripted('legacy-chat').factory },
      { logger: { warn: () => {}, error: () => {} } },
    ).subscribe({
      error: (e: unknown) => (error = e),
    });
    flag.next('both');
    assert.ok(isChatshiftError(error, 'ERR_BACKEND_UNAVAILABLE'));
    assert.match((error as Error).message, /messaging/);
  });

  it('completes when the flag completes and every source has stopped; a source error ends the stream', () => {
    const h = harness('legacy-chat');
    h.flag.complete();
    assert.equal(h.done(), false);
    h.legacy.finish();
    assert.equal(h.done(), true);
    const f = harness('both');
    const boom = new Error('boom');
    f.messaging.fail(boom);
    assert.equal(f.err(), boom);
    assert.equal(f.legacy.isLive(), false, 'the other source was torn down');
  });
});
