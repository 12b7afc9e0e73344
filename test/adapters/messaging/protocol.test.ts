import assert from 'node:assert/strict';
import { invalidInputReporter } from '../../../src/runtime/invalid-input.js';
import { VirtualTimeScheduler } from 'rxjs';
import {
  FrameRouter,
  RequestCorrelator,
  type NotificationSink,
} from '../../../adapters/messaging/protocol.js';
import { ChatshiftError } from '../../../src/errors.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { recordingLogger } from './support.js';

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
  const warns = () => logger.lines.filter((l) => l.startsWith('warn'));
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
      t.logger.lines.some((l) => l.startsWith('debug') && l.includes('cs-999')),
      t.logger.lines.join('\n'),
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
