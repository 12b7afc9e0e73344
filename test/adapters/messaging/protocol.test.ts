import assert from 'node:assert/strict';
import { VirtualTimeScheduler } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  FrameRouter,
  RequestCorrelator,
  sanitize,
  type NotificationSink,
} from '../../../adapters/messaging/protocol.js';
import type { ResponseFrame } from '../../../adapters/messaging/wire.js';
import { ChatshiftError, isChatshiftError } from '../../../src/errors.js';
import { invalidInputReporter } from '../../../src/runtime/invalid-input.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { recordingLogger } from '../../support/logger.js';

// `request()` answers with a Promise, so its deadlines run on a TestScheduler's virtual clock and
// each settlement is recorded with the virtual time it happened at: the clock is advanced one
// scheduled action at a time, letting the Promise callbacks run in between.

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function harness(options: { flowEpoch?: () => number; send?: (text: string) => void; prefix?: string } = {}) {
  const scheduler = new TestScheduler((a, b) => assert.deepEqual(a, b));
  const sent: Array<{ kind: string; id: string; type: string; body: unknown }> = [];
  const log: string[] = [];
  const correlator = new RequestCorrelator(
    options.send ??
      ((text) => sent.push(JSON.parse(text) as { kind: string; id: string; type: string; body: unknown })),
    scheduler,
    options.flowEpoch,
    options.prefix,
  );
  const errors = new Map<string, unknown>();
  const request = (name: string, type: string, timeoutMs = 1000, body: object = {}) => {
    correlator.request(type, body, timeoutMs).then(
      (frame) => log.push(`${name} resolved ${frame.code} at ${scheduler.now()}`),
      (e: unknown) => {
        errors.set(name, e);
        log.push(`${name} ${(e as ChatshiftError).code} at ${scheduler.now()}`);
      },
    );
  };
  /** Runs every action due up to `ms` (virtual), letting Promise callbacks run after each. */
  const advanceTo = async (ms: number) => {
    await settle(); // what settled synchronously settled at the current time
    for (;;) {
      const next = scheduler.actions[0];
      if (next === undefined || next.delay > ms) break;
      scheduler.maxFrames = next.delay;
      scheduler.flush();
      await settle();
    }
    scheduler.frame = ms;
  };
  const respond = (reqId: string, code = 200, body: unknown = {}): boolean =>
    correlator.handle({ kind: 'resp', reqId, code, body } satisfies ResponseFrame);
  return { scheduler, sent, log, errors, correlator, request, advanceTo, respond };
}

describe('RequestCorrelator', () => {
  it('sends each request as a req frame with its own id, type and body', () => {
    const h = harness();
    h.request('a', '.GetClock', 1000, {});
    h.request('b', '.ams.ms.QueryMessages', 1000, { dialogId: 'c1', newerThanSequence: 3 });
    assert.deepEqual(h.sent, [
      { kind: 'req', id: 'cs-1', type: '.GetClock', body: {} },
      {
        kind: 'req',
        id: 'cs-2',
        type: '.ams.ms.QueryMessages',
        body: { dialogId: 'c1', newerThanSequence: 3 },
      },
    ]);
    assert.equal(h.correlator.size, 2);
    h.correlator.failAll(new ChatshiftError('ERR_CONNECTION', 'test over'));
  });

  it('prefixes request ids with the prefix it was given', () => {
    const h = harness({ prefix: 'conn7' });
    h.request('a', '.GetClock');
    assert.equal(h.sent[0]?.id, 'conn7-1');
    h.correlator.failAll(new ChatshiftError('ERR_CONNECTION', 'test over'));
  });

  it('settles each request by the reqId of its response, whatever order they come in', async () => {
    const h = harness();
    h.request('a', '.GetClock');
    h.request('b', '.GetClock');
    await h.advanceTo(10);
    assert.equal(h.respond('cs-2', 200), true);
    await h.advanceTo(20);
    assert.equal(h.respond('cs-1', 202), true);
    await h.advanceTo(30);
    assert.deepEqual(h.log, ['b resolved 200 at 10', 'a resolved 202 at 20']);
    assert.equal(h.correlator.size, 0);
  });

  it('resolves with the whole response frame', async () => {
    const h = harness();
    let got: ResponseFrame | undefined;
    void h.correlator.request('.GetClock', {}, 1000).then((f) => (got = f));
    h.respond('cs-1', 200, { currentTime: 1_700_000_006_000 });
    await settle();
    assert.deepEqual(got, {
      kind: 'resp',
      reqId: 'cs-1',
      code: 200,
      body: { currentTime: 1_700_000_006_000 },
    });
  });

  it('fails a request answered with a code of 400 or more with ERR_PROTOCOL naming type and code', async () => {
    const h = harness();
    h.request('ok', '.GetClock');
    h.request('bad', '.ams.ms.QueryMessages');
    h.request('worse', '.ams.aam.SubscribeExConversations');
    h.respond('cs-1', 399);
    h.respond('cs-2', 400);
    h.respond('cs-3', 500);
    await settle();
    assert.deepEqual(h.log, ['ok resolved 399 at 0', 'bad ERR_PROTOCOL at 0', 'worse ERR_PROTOCOL at 0']);
    const e = h.errors.get('bad');
    assert.ok(isChatshiftError(e, 'ERR_PROTOCOL'));
    assert.deepEqual(e.details, { type: '.ams.ms.QueryMessages', code: 400 });
  });

  it('ignores a response no request is waiting for, and a second response to the same request', async () => {
    const h = harness();
    h.request('a', '.GetClock');
    assert.equal(h.respond('req-1'), false, 'ids are matched exactly');
    assert.equal(h.respond('cs-9'), false);
    assert.equal(h.correlator.size, 1);
    assert.equal(h.respond('cs-1'), true);
    assert.equal(h.respond('cs-1', 500), false);
    await settle();
    assert.deepEqual(h.log, ['a resolved 200 at 0']);
  });

  it('fails a request with ERR_TIMEOUT exactly at its deadline, and ignores its late answer', async () => {
    const h = harness();
    h.request('a', '.GetClock', 1000);
    await h.advanceTo(300);
    h.request('b', '.ams.ms.QueryMessages', 250);
    await h.advanceTo(549);
    assert.deepEqual(h.log, []);
    await h.advanceTo(999);
    assert.deepEqual(h.log, ['b ERR_TIMEOUT at 550']);
    await h.advanceTo(1000);
    assert.deepEqual(h.log, ['b ERR_TIMEOUT at 550', 'a ERR_TIMEOUT at 1000']);
    const e = h.errors.get('a');
    assert.ok(isChatshiftError(e, 'ERR_TIMEOUT'));
    assert.deepEqual(e.details, { type: '.GetClock' });
    assert.match(e.message, /1000 ms/);
    assert.equal(h.correlator.size, 0);
    assert.equal(h.respond('cs-1'), false, 'a late answer settles nothing');
  });

  it('cancels the deadline of an answered request', async () => {
    const h = harness();
    h.request('a', '.GetClock', 1000);
    assert.equal(h.scheduler.actions.length, 1);
    h.respond('cs-1');
    assert.equal(h.scheduler.actions.length, 0, 'no timer left behind');
    await h.advanceTo(5000);
    assert.deepEqual(h.log, ['a resolved 200 at 0']);
  });

  it('re-arms a deadline that comes while reading is paused, and one armed before a pause since resumed', async () => {
    let epoch = 0;
    const h = harness({ flowEpoch: () => epoch });
    h.request('a', '.GetClock', 100);
    await h.advanceTo(50);
    epoch = -1; // paused: the answer could be waiting unread
    await h.advanceTo(350);
    assert.deepEqual(h.log, [], 'no deadline while paused');
    epoch = 1; // resumed at 350: the deadline due at 400 was armed at 300, in another epoch
    await h.advanceTo(499);
    assert.deepEqual(h.log, []);
    await h.advanceTo(500);
    assert.deepEqual(h.log, ['a ERR_TIMEOUT at 500'], 'fails after one whole deadline in one epoch');
  });

  it('fails a request it could not send with ERR_CONNECTION, whose cause carries no URL', async () => {
    const h = harness({
      send: () => {
        throw Object.assign(
          new Error('socket closed: wss://va.example.com/ws_api/account/1/messaging/brand/SECRET?v=2.1'),
          {
            code: 'EPIPE',
          },
        );
      },
    });
    h.request('a', '.GetClock');
    await settle();
    assert.deepEqual(h.log, ['a ERR_CONNECTION at 0']);
    const e = h.errors.get('a') as ChatshiftError;
    const cause = e.cause as Error & { code?: string };
    assert.doesNotMatch(cause.message, /SECRET|wss:/);
    assert.equal(cause.code, 'EPIPE');
    assert.equal(h.correlator.size, 0);
    assert.equal(h.scheduler.actions.length, 0, 'its deadline was cancelled');
  });

  it('fails every pending request with the given error when the socket goes away, and cancels their deadlines', async () => {
    const h = harness();
    h.request('a', '.GetClock');
    h.request('b', '.GetClock');
    await h.advanceTo(100);
    const closed = new ChatshiftError('ERR_CONNECTION', 'socket closed');
    h.correlator.failAll(closed);
    assert.equal(h.correlator.size, 0);
    assert.equal(h.scheduler.actions.length, 0);
    await h.advanceTo(5000);
    assert.deepEqual(h.log, ['a ERR_CONNECTION at 100', 'b ERR_CONNECTION at 100']);
    assert.equal(h.errors.get('a'), closed);
    assert.equal(h.respond('cs-1'), false);
    h.correlator.failAll(closed); // nothing pending: a no-op
  });
});

describe('sanitize', () => {
  it('copies an error without any ws or wss URL, keeping its name and code', () => {
    const e = Object.assign(new TypeError('failed ws://127.0.0.1:9/x?token=abc and wss://h/y'), {
      code: 'ECONNRESET',
    });
    const s = sanitize(e) as Error & { code?: string };
    assert.equal(s.message, 'failed [url] and [url]');
    assert.equal(s.name, 'TypeError');
    assert.equal(s.code, 'ECONNRESET');
    assert.notEqual(s, e);
  });

  it('turns a thrown non-error into an error, also without URLs', () => {
    const s = sanitize('down: wss://h/brand/SECRET');
    assert.ok(s instanceof Error);
    assert.equal(s.message, 'down: [url]');
  });
});

/** A router over a correlator whose sent requests are recorded, and a sink that records calls. */
function routerUnderTest() {
  const sent: { id: string; type: string }[] = [];
  const calls: [keyof NotificationSink, ...unknown[]][] = [];
  const sink: NotificationSink = {
    onlineEvent: (record) => calls.push(['onlineEvent', record]),
    conversationChanges: (changes) => calls.push(['conversationChanges', changes]),
    otherNotification: (type, body) => calls.push(['otherNotification', type, body]),
  };
  const scheduler = new VirtualTimeScheduler();
  const correlator = new RequestCorrelator((text) => sent.push(JSON.parse(text)), scheduler);
  const logger = recordingLogger();
  const metrics = counterMetrics();
  const router = new FrameRouter(correlator, sink, logger, invalidInputReporter(logger, metrics));
  const invalid = () => metrics.snapshot()['items.invalid'] ?? 0;
  const warns = () => logger.lines().filter((l) => l.startsWith('warn'));
  return { router, correlator, sent, calls, logger, invalid, warns, scheduler };
}

const record = { dialogId: 'c1', sequence: 1, event: { type: 'ContentEvent', message: 'hi' } };
const upsert = (convId: string) => ({ type: 'UPSERT', result: { convId } });

describe('messaging FrameRouter', () => {
  it('settles the pending request a response answers, and the sink never sees the response', async () => {
    const t = routerUnderTest();
    const answer = t.correlator.request('.GetClock', {}, 1000);
    t.router.text(
      JSON.stringify({ kind: 'resp', reqId: t.sent[0]!.id, code: 200, body: { currentTime: 5 } }),
    );
    assert.deepEqual((await answer).body, { currentTime: 5 });
    assert.equal(t.correlator.size, 0);
    assert.deepEqual(t.calls, []);
    assert.equal(t.invalid(), 0);
  });

  it('rejects the request a response with code >= 400 answers', async () => {
    const t = routerUnderTest();
    const answer = t.correlator.request('.ams.ms.QueryMessages', {}, 1000);
    t.router.text(JSON.stringify({ kind: 'resp', reqId: t.sent[0]!.id, code: 404, body: 'no such dialog' }));
    await assert.rejects(answer, (e: ChatshiftError) => e.code === 'ERR_PROTOCOL');
  });

  it('skips a response to no pending request with a debug line, not as invalid input', () => {
    const t = routerUnderTest();
    void t.correlator.request('.GetClock', {}, 1000).catch(() => undefined);
    t.router.text(JSON.stringify({ kind: 'resp', reqId: 'cs-999', code: 200, body: {} }));
    assert.equal(t.correlator.size, 1, 'the pending request is untouched');
    assert.deepEqual(t.calls, []);
    assert.equal(t.invalid(), 0);
    assert.ok(
      t.logger.lines().some((l) => l.startsWith('debug') && l.includes('cs-999')),
      t.logger.lines().join('\n'),
    );
    t.correlator.failAll(new ChatshiftError('ERR_CONNECTION', 'end of test'));
  });

  it('reports a bad envelope once (items.invalid and a coded warn line) and skips it', () => {
    const t = routerUnderTest();
    void t.correlator.request('.GetClock', {}, 1000).catch(() => undefined);
    const id = t.sent[0]!.id;
    const bad = [
      '{not json',
      'null',
      '42',
      '[]',
      JSON.stringify({ kind: 'banana' }),
      JSON.stringify({ kind: 'resp', code: 200 }), // no reqId
      JSON.stringify({ kind: 'resp', reqId: id, code: '200' }), // code not a number
      JSON.stringify({ kind: 'notification', body: {} }), // no type
    ];
    for (const text of bad) t.router.text(text);
    t.router.binary();
    assert.equal(t.invalid(), bad.length + 1);
    assert.equal(t.warns().length, bad.length + 1);
    assert.equal(t.warns().filter((l) => l.includes('ERR_MALFORMED_JSON')).length, 2);
    assert.equal(t.warns().filter((l) => l.includes('ERR_SCHEMA_INVALID')).length, bad.length - 1);
    assert.ok(t.warns().some((l) => l.includes('reqId/code')));
    assert.equal(t.correlator.size, 1, 'an invalid response settles nothing');
    assert.deepEqual(t.calls, []);
    t.correlator.failAll(new ChatshiftError('ERR_CONNECTION', 'end of test'));
  });

  it('hands a notification type it does not use to the sink as other, without reporting it', () => {
    const t = routerUnderTest();
    t.router.text(
      JSON.stringify({ kind: 'notification', type: '.ams.routing.RoutingTaskNotification', body: { x: 1 } }),
    );
    assert.deepEqual(t.calls, [['otherNotification', '.ams.routing.RoutingTaskNotification', { x: 1 }]]);
    assert.equal(t.invalid(), 0);
  });

  it('hands on a valid online event record, in both spellings, and reports an invalid one with its path', () => {
    const t = routerUnderTest();
    t.router.text(
      JSON.stringify({ kind: 'notification', type: '.ams.ms.OnlineEventDistribution', body: record }),
    );
    t.router.text(JSON.stringify({ kind: 'notification', type: 'ms.OnlineEventDistribution', body: record }));
    t.router.text(
      JSON.stringify({
        kind: 'notification',
        type: '.ams.ms.OnlineEventDistribution',
        body: { ...record, sequence: -1 },
      }),
    );
    assert.deepEqual(t.calls, [
      ['onlineEvent', record],
      ['onlineEvent', record],
    ]);
    assert.equal(t.invalid(), 1);
    assert.ok(t.warns()[0]!.includes('sequence'), t.warns()[0]);
  });

  it('hands on the valid changes of a conversation change notification and reports the invalid ones', () => {
    const t = routerUnderTest();
    const type = '.ams.aam.ExConversationChangeNotification';
    t.router.text(
      JSON.stringify({ kind: 'notification', type, body: { changes: [upsert('a'), upsert('b')] } }),
    );
    t.router.text(
      JSON.stringify({
        kind: 'notification',
        type,
        body: { changes: [upsert('c'), { type: 'MOVE' }, upsert('d')] },
      }),
    );
    t.router.text(JSON.stringify({ kind: 'notification', type, body: { changes: 'none' } }));
    assert.deepEqual(t.calls, [
      ['conversationChanges', [upsert('a'), upsert('b')]],
      ['conversationChanges', [upsert('c'), upsert('d')]],
    ]);
    assert.equal(t.invalid(), 2);
    assert.ok(t.warns()[0]!.includes('type'), t.warns()[0]);
    assert.ok(t.warns()[1]!.includes('changes'), t.warns()[1]);
  });
});
