import assert from 'node:assert/strict';
import { DataPointType } from '@opentelemetry/sdk-metrics';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import { isChatshiftError } from '../../src/errors.js';
import { flowControl } from '../../src/runtime/flow.js';
import { metricCatalog } from '../../src/runtime/metric-catalog.js';
import { openTelemetryMetrics, type MeterLike } from '../../src/runtime/open-telemetry.js';
import { counterSum, histogramCount, otelHarness, type OtelHarness } from '../support/otel.js';
import { Recorder } from '../support/recorder.js';
import { bothSimulatorsPerSuite } from '../support/simulators.js';

describe('openTelemetryMetrics', () => {
  let otel: OtelHarness;
  beforeEach(() => {
    otel = otelHarness();
  });
  afterEach(() => otel.shutdown());

  it('creates each catalog instrument once, with its name, kind, unit and description', async () => {
    const sink = openTelemetryMetrics(otel.meter);
    sink.increment('events.emitted', 2, { 'chatshift.backend': 'messaging' });
    sink.increment('events.emitted', 3, { 'chatshift.backend': 'messaging' });
    sink.record?.('operation.duration', 0.25, {
      'chatshift.backend': 'legacy-chat',
      'messaging.operation.name': 'multi-chat',
    });
    sink.gauge?.('conversations.open', 7, { 'chatshift.backend': 'legacy-chat' });
    sink.gauge?.('conversations.open', 5, { 'chatshift.backend': 'legacy-chat' });
    const got = await otel.collect();
    const consumed = got.get('messaging.client.consumed.messages');
    assert.equal(consumed?.descriptor.unit, '{message}');
    assert.equal(consumed?.dataPointType, DataPointType.SUM);
    assert.equal(consumed?.descriptor.description, metricCatalog[0]?.description);
    assert.deepEqual(
      consumed?.dataPoints.map((p) => [p.attributes, p.value]),
      [
        [
          {
            'chatshift.backend': 'messaging',
            'messaging.system': 'liveperson',
            'messaging.operation.name': 'receive',
          },
          5,
        ],
      ],
    );
    const duration = got.get('messaging.client.operation.duration');
    assert.equal(duration?.dataPointType, DataPointType.HISTOGRAM);
    assert.equal(duration?.descriptor.unit, 's');
    assert.equal(histogramCount(duration, { 'messaging.operation.name': 'multi-chat' }), 1);
    const open = got.get('chatshift.conversations.open');
    assert.equal(open?.dataPointType, DataPointType.GAUGE);
    assert.deepEqual(
      open?.dataPoints.map((p) => p.value),
      [5],
    );
  });

  it('never turns a conversation id (or any attribute the catalog does not list) into a label', async () => {
    const sink = openTelemetryMetrics(otel.meter);
    const attrs = {
      'chatshift.backend': 'messaging',
      'messaging.conversation.id': 'conv-123',
      conversationId: 'conv-123',
      'chatshift.event.type': 'x'.repeat(65),
    };
    sink.increment('gaps', 1, attrs);
    sink.record?.('event.delay', 1.5, attrs);
    sink.increment('made.up', 1, attrs); // not in the catalog: chatshift.made.up, catalog keys only
    const got = await otel.collect();
    for (const name of ['chatshift.gaps', 'chatshift.event.delay', 'chatshift.made.up']) {
      const points = got.get(name)?.dataPoints ?? [];
      assert.equal(points.length, 1, name);
      assert.deepEqual(points[0]?.attributes, { 'chatshift.backend': 'messaging' }, name);
    }
  });

  it('ignores values it cannot export and names used as the wrong kind of instrument', async () => {
    const sink = openTelemetryMetrics(otel.meter);
    sink.increment('gaps', -1);
    sink.increment('gaps', Number.NaN);
    sink.record?.('gaps', 1); // a counter's name as a histogram
    sink.record?.('event.delay', Number.POSITIVE_INFINITY);
    sink.increment('gaps');
    const got = await otel.collect();
    assert.equal(counterSum(got.get('chatshift.gaps')), 1);
    assert.equal(got.get('chatshift.gaps')?.dataPointType, DataPointType.SUM);
    assert.equal(histogramCount(got.get('chatshift.event.delay')), 0);
  });

  it('works on a meter with only createCounter, createHistogram and createObservableGauge (levels observed)', async () => {
    const m = otel.meter;
    const older: MeterLike = {
      createCounter: (n, o) => m.createCounter(n, o),
      createHistogram: (n, o) => m.createHistogram(n, o),
      createObservableGauge: (n, o) => m.createObservableGauge(n, o),
    };
    const sink = openTelemetryMetrics(older);
    sink.gauge?.('conversations.open', 4, { 'chatshift.backend': 'messaging' });
    sink.gauge?.('conversations.open', 9, { 'chatshift.backend': 'legacy-chat' });
    sink.gauge?.('conversations.open', 3, { 'chatshift.backend': 'messaging' });
    sink.increment('gaps', 2, { 'chatshift.backend': 'messaging', conversationId: 'c-1' });
    sink.increment('gaps', 1, { 'chatshift.backend': 'messaging' });
    const got = await otel.collect();
    assert.deepEqual(
      got.get('chatshift.gaps')?.dataPoints.map((p) => [p.attributes, p.value]),
      [[{ 'chatshift.backend': 'messaging' }, 3]],
      'counters through createCounter when the meter has no observable counter',
    );
    const open = got.get('chatshift.conversations.open');
    assert.deepEqual(open?.dataPoints.map((p) => [p.attributes['chatshift.backend'], p.value]).sort(), [
      ['legacy-chat', 9],
      ['messaging', 3],
    ]);
  });

  it('refuses something that is not a meter with ERR_INVALID_OPTIONS', () => {
    for (const bad of [undefined, null, {}, { createCounter: () => ({}) }])
      assert.throws(
        () => openTelemetryMetrics(bad as unknown as MeterLike),
        (e) => isChatshiftError(e, 'ERR_INVALID_OPTIONS') && /getMeter/.test(e.message),
      );
  });
});

describe('openTelemetryMetrics with real traffic through both simulators', function () {
  this.timeout(60_000);
  const sims = bothSimulatorsPerSuite();

  it('counts every delivered event, times requests, handlers, delays and saves, tracks open conversations — with no id as a label', async () => {
    const otel = otelHarness();
    const sink = openTelemetryMetrics(otel.meter);
    const flow = flowControl({ metrics: sink });
    const events$ = conversationEvents({
      backend: 'both',
      legacy: legacyChat({ ...sims.legacy.clientOptions(), acceptIncoming: true, pollIntervalMs: 15 }),
      messaging: messaging({ ...sims.messaging.clientOptions() }),
      metrics: sink,
      flow,
    });
    const handled: string[] = [];
    const rec = new Recorder(events$.pipe(flow.process(async (e) => void handled.push(e.id))));
    const ids: string[] = [];
    try {
      const legacyKeys = [0, 1, 2].map(() => sims.legacy.openConversation({ waiting: true }));
      const convs = [0, 1, 2, 3].map((i) =>
        sims.messaging.openConversation({ consumerId: `otel-${i}`, agentId: sims.messaging.agentId }),
      );
      ids.push(...legacyKeys, ...convs);
      for (const k of legacyKeys) sims.legacy.consumerSays(k, 'hello');
      for (const c of convs) sims.messaging.consumerSays(c, 'hello');
      await rec.waitFor(
        () => ids.every((id) => rec.events.some((e) => e.conversationId === id && e.type === 'message')),
        20_000,
        'a message from every conversation',
      );
      sims.legacy.closeConversation(legacyKeys[0] as string);
      sims.messaging.closeConversation(convs[0] as string);
      await rec.waitFor(() => rec.closed.size === 2, 20_000, 'the two closed conversations');
      const per = (b: string) => rec.events.filter((e) => e.backend === b).length;
      let got = await otel.collect();
      // Saves are throttled: wait until the open-conversation gauge shows the last checkpoint.
      const openOf = (b: string) =>
        got
          .get('chatshift.conversations.open')
          ?.dataPoints.find((p) => p.attributes['chatshift.backend'] === b)?.value;
      const deadline = Date.now() + 10_000;
      while ((openOf('legacy-chat') !== 2 || openOf('messaging') !== 3) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        got = await otel.collect();
      }
      assert.equal(openOf('legacy-chat'), 2);
      assert.equal(openOf('messaging'), 3);

      const consumed = got.get('messaging.client.consumed.messages');
      assert.equal(counterSum(consumed, { 'chatshift.backend': 'legacy-chat' }), per('legacy-chat'));
      assert.equal(counterSum(consumed, { 'chatshift.backend': 'messaging' }), per('messaging'));
      assert.equal(histogramCount(got.get('chatshift.event.delay')), rec.events.length);
      assert.equal(histogramCount(got.get('messaging.process.duration')), handled.length);
      assert.equal(handled.length, rec.events.length);
      const ops = got.get('messaging.client.operation.duration');
      assert.ok(
        histogramCount(ops, {
          'chatshift.backend': 'legacy-chat',
          'messaging.operation.name': 'multi-chat',
        }) > 0,
      );
      assert.ok(
        histogramCount(ops, { 'chatshift.backend': 'legacy-chat', 'messaging.operation.name': 'accept' }) >=
          3,
      );
      assert.ok(histogramCount(ops, { 'chatshift.backend': 'messaging' }) > 0);
      assert.ok(histogramCount(got.get('chatshift.checkpoint.save.duration')) > 0);
      assert.equal(counterSum(got.get('chatshift.checkpoint.save.failures')), 0);
      const decisions = got.get('chatshift.cutover.decisions');
      assert.equal(
        counterSum(decisions, { 'chatshift.backend': 'legacy-chat', 'chatshift.decision': 'start' }),
        1,
      );
      assert.equal(
        counterSum(decisions, { 'chatshift.backend': 'messaging', 'chatshift.decision': 'start' }),
        1,
      );
      assert.ok(counterSum(got.get('chatshift.http.requests')) > 0);
      assert.ok(counterSum(got.get('chatshift.ws.connects')) >= 1);

      // No label anywhere names a conversation, and every label is one the catalog allows.
      const allowed = new Map(
        metricCatalog.map((m) => [m.name, new Set([...m.attributes, ...Object.keys(m.constant ?? {})])]),
      );
      for (const [name, m] of got) {
        assert.ok(allowed.has(name), `${name} is not a catalog instrument`);
        for (const p of m.dataPoints)
          for (const [k, v] of Object.entries(p.attributes)) {
            assert.ok(allowed.get(name)?.has(k), `${name} carries ${k}`);
            assert.ok(
              !ids.some((id) => String(v).includes(id)),
              `${name}.${k} = ${String(v)} names a conversation`,
            );
          }
      }
    } finally {
      rec.subscription.unsubscribe();
      await otel.shutdown();
    }
  });
});
