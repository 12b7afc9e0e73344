import assert from 'node:assert/strict';
import { latency } from '../../bench/latency.js';
import { isolatedRun } from '../../bench/isolated.js';
import { legacyThroughput } from '../../bench/legacy-throughput.js';
import { memory, slowConsumerMemory } from '../../bench/memory.js';
import { messagingThroughput } from '../../bench/messaging-throughput.js';
import { sends } from '../../bench/sends.js';
import { table } from '../../bench/table.js';
import { interleave, median, onProgress, percentile, ratioStats, type Figure } from '../../bench/support.js';

// Each benchmark on a tiny workload, so `npm run bench` keeps working. Only structure and
// correctness are asserted (every message arrived, once, in order); never a timing.

function wellFormed(figures: readonly Figure[], count: number): void {
  assert.equal(figures.length, count);
  for (const f of figures) {
    assert.ok(f.figure.length > 0);
    assert.ok(Number.isFinite(f.chatshift) && f.chatshift > 0, `${f.figure}: ${f.chatshift}`);
    if (f.baseline !== undefined) assert.ok(Number.isFinite(f.baseline) && f.baseline > 0, f.figure);
    assert.equal(typeof f.met, 'boolean');
  }
  assert.match(
    table(figures),
    /figure\s+\| chatshift\s+\| baseline\s+\| ratio \(min–max, rounds\)\s+\| target\s+\| met\?/,
  );
  for (const f of figures) {
    const s = f.ratioStats;
    if (s === undefined) continue;
    assert.equal(s.perRound.length, s.rounds, f.figure);
    assert.equal(f.ratio, median(s.perRound), f.figure);
    assert.ok(s.min <= f.ratio! && f.ratio! <= s.max, f.figure);
  }
}

describe('bench (smoke, tiny workloads)', function () {
  this.timeout(20_000);
  before(() => onProgress(() => {}));

  it('median, percentile and interleaving behave', async () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
    assert.equal(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
      99,
    );
    const order: string[] = [];
    await interleave(3, {
      a: async () => order.push('a'),
      b: async () => order.push('b'),
    });
    // One uncounted warm-up run of each, then the rounds.
    assert.deepEqual(order, ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b']);
    const counted = await interleave(2, { a: async () => 1, b: async () => 2 });
    assert.deepEqual(counted, { a: [1, 1], b: [2, 2] });
    // Contenders that warm up in a process of their own: no uncounted run.
    const cold: string[] = [];
    await interleave(2, { a: async () => cold.push('a'), b: async () => cold.push('b') }, undefined, {
      warmUp: false,
    });
    assert.deepEqual(cold, ['a', 'b', 'a', 'b']);
  });

  it('an isolated run that fails in its process rejects with the error it failed with', async () => {
    await assert.rejects(
      isolatedRun({
        kind: 'messaging',
        who: 'nobody' as 'rawWs',
        size: { conversations: 1, perConversation: 1, rounds: 1 },
      }),
      /no messaging contender "nobody"/,
    );
  });

  it('a ratio is the median of per-round ratios, with their spread and count', () => {
    // Round 2 is slow for both (a loaded machine): its ratio is still 0.5. The ratio of the
    // medians (200 / 300) would differ.
    const s = ratioStats([100, 10, 400, 200], [200, 20, 300, 400]);
    assert.deepEqual(s.perRound, [0.5, 0.5, 400 / 300, 0.5]);
    assert.equal(s.median, 0.5);
    assert.equal(s.min, 0.5);
    assert.equal(s.max, 400 / 300);
    assert.equal(s.rounds, 4);
    assert.throws(() => ratioStats([1, 2], [1]), /paired rounds/);
  });

  it('messaging throughput: every contender gets every message; chatshift in order, each once', async () => {
    const r = await messagingThroughput({ conversations: 5, perConversation: 40, rounds: 1, batchSize: 50 });
    wellFormed(r.figures, 8);
    for (const runs of Object.values(r.runs))
      for (const run of runs) {
        assert.equal(run.received, 200);
        assert.ok(run.msgPerCpuSec > 0 && Number.isFinite(run.msgPerCpuSec));
      }
    assert.equal(r.runs.chatshift[0]?.inOrder, true);
    assert.equal(r.runs.chatshiftEvents[0]?.inOrder, true);
    assert.equal(r.runs.chatshiftOtel[0]?.inOrder, true);
  });

  it('legacy throughput: every event arrives and a cycle is ceil(chats / maxChatsPerRequest) requests', async () => {
    const r = await legacyThroughput({
      chats: 12,
      eventsPerChatPerCycle: 3,
      cycles: 2,
      rounds: 1,
      maxChatsPerRequest: 5,
    });
    wellFormed(r.figures, 3);
    assert.equal(r.runs.chatshift[0]?.received, 72);
    assert.deepEqual(r.runs.chatshift[0]?.requestsPerCycle, [3, 3]);
    assert.equal(r.figures[2]?.met, true);
    assert.ok((r.runs.chatshift[0]?.eventsPerCpuSec ?? 0) > 0 && (r.runs.raw[0]?.eventsPerCpuSec ?? 0) > 0);
  });

  it('memory: the child follows every conversation and receives every event', async function () {
    this.timeout(90_000); // two children, each started through tsx: slow on a loaded machine
    const r = await memory({ conversations: 50, eventsSmall: 50, eventsLarge: 500 });
    wellFormed(r.figures, 2);
    assert.equal(r.received, 500);
    const app = await memory({ conversations: 50, eventsSmall: 50, eventsLarge: 500, stack: 'app' });
    wellFormed(app.figures, 2);
    assert.equal(app.received, 500);
  });

  it('slow consumer: the flowed child holds back, both receive every message after release', async () => {
    // 3,000 messages: more than the 1,000 high-water mark, so the flowed child must pause.
    const r = await slowConsumerMemory({ conversations: 10, events: 3000 });
    wellFormed(r.figures, 1);
    assert.equal(r.figures[0]?.met, true, r.figures[0]?.note);
  });

  it('latency: every message sent is received and timed', async () => {
    const r = await latency({ ratePerSec: 1000, durationMs: 300, conversations: 5, rounds: 1 });
    wellFormed(r.figures, 2);
    for (const runs of Object.values(r.runs))
      for (const run of runs) {
        assert.equal(run.received, run.sent);
        assert.ok(run.p99 >= run.p50);
      }
  });

  it('sends: every send through conversationActions and the SDK lands once (checked inside the run)', async () => {
    const r = await sends({ conversations: 3, perConversation: 5, rounds: 3 });
    wellFormed(r.figures, 2);
    for (const runs of Object.values(r.runs)) assert.equal(runs.length, 3);
  });
});
