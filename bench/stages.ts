import { Observable, asyncScheduler } from 'rxjs';
import { FrameRouter, RequestCorrelator } from '../adapters/messaging/protocol.js';
import { ConversationTracker } from '../adapters/messaging/conversation-tracker.js';
import type { ConversationChange, EventRecord } from '../adapters/messaging/wire.js';
import type { ConversationEvent } from '../src/model/event.js';
import { silentLogger } from '../src/runtime/logger.js';
import { noopMetrics } from '../src/runtime/metrics.js';
import { invalidInputReporter } from '../src/runtime/invalid-input.js';
import { median, progress } from './support.js';

// `npx tsx bench/stages.ts [--rounds N]`: chatshift's per-event cost on the messaging path, stage by
// stage, without sockets: the same frame texts go through more and more of the path, and each
// stage's cost is the difference from the one before. CPU time per event (ns), median of
// interleaved rounds. The first stage is what the bare client pays too (JSON.parse).

const CONVERSATIONS = 100;
const PER_CONVERSATION = 2000;

function frames(): string[] {
  const out: string[] = [];
  const t0 = Date.UTC(2026, 10, 30, 7, 0, 0);
  for (let i = 1; i <= PER_CONVERSATION; i++)
    for (let c = 0; c < CONVERSATIONS; c++) {
      const body = {
        sequence: i,
        originatorClientProperties: { type: 'MOBILE_APP', ipAddress: '127.0.0.1' },
        originatorId: `cons-${c}`,
        originatorMetadata: { id: `cons-${c}`, role: 'CONSUMER' },
        serverTimestamp: t0 + i * 3 + c,
        event: { type: 'ContentEvent', contentType: 'text/plain', message: `m${i}` },
        conversationId: `conv-${c}`,
        dialogId: `conv-${c}`,
      };
      out.push(JSON.stringify({ kind: 'notification', type: '.ams.ms.OnlineEventDistribution', body }));
    }
  return out;
}

function change(c: number): ConversationChange {
  return {
    type: 'UPSERT',
    result: {
      convId: `conv-${c}`,
      conversationDetails: {
        state: 'OPEN',
        metaDataLastUpdateTs: 1,
        participants: { CONSUMER: [`cons-${c}`], ASSIGNED_AGENT: ['agent-1'] },
      },
    },
  } as ConversationChange;
}

type Stage =
  'JSON.parse' | 'router (envelope, record guard)' | 'tracker, checks, mapping, time' | 'RxJS next';

/** Builds a pipeline up to `stage` and returns a function that feeds it one frame. */
function pipeline(stage: Stage): { feed: (text: string) => void; close: () => void } {
  let sink = 0;
  if (stage === 'JSON.parse')
    return {
      feed: (text) => {
        const f = JSON.parse(text) as { type?: string };
        if (f.type === '.ams.ms.OnlineEventDistribution') sink++;
      },
      close: () => {},
    };
  let emit: (e: ConversationEvent) => void = () => sink++;
  let close = (): void => {};
  if (stage === 'RxJS next') {
    let next!: (e: ConversationEvent) => void;
    const sub = new Observable<ConversationEvent>((s) => {
      next = (e) => s.next(e);
    }).subscribe(() => sink++);
    emit = next;
    close = () => sub.unsubscribe();
  }
  const tracker = new ConversationTracker(
    {
      emit,
      query: () => {},
      changed: () => {},
      now: () => asyncScheduler.now(),
      logger: silentLogger,
      metrics: noopMetrics,
    },
    false,
  );
  for (let c = 0; c < CONVERSATIONS; c++) {
    tracker.onChange(change(c));
    tracker.onHistory(`conv-${c}`, []);
  }
  const onlineEvent =
    stage === 'router (envelope, record guard)'
      ? (_r: EventRecord): void => void sink++
      : (r: EventRecord): void => tracker.onLive(r);
  const router = new FrameRouter(
    new RequestCorrelator(() => {}, asyncScheduler),
    { onlineEvent, conversationChanges: () => {}, otherNotification: () => {} },
    silentLogger,
    invalidInputReporter(silentLogger, noopMetrics),
  );
  return { feed: (text) => router.text(text), close };
}

const stages: Stage[] = [
  'JSON.parse',
  'router (envelope, record guard)',
  'tracker, checks, mapping, time',
  'RxJS next',
];

function main(): void {
  const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 7;
  const texts = frames();
  const ns: Record<Stage, number[]> = Object.fromEntries(stages.map((s) => [s, []])) as never;
  for (let round = 0; round <= rounds; round++) {
    for (const s of stages) {
      const p = pipeline(s);
      const t0 = process.cpuUsage();
      for (const text of texts) p.feed(text);
      const d = process.cpuUsage(t0);
      p.close();
      // Round 0 warms the JIT up and is not counted.
      if (round > 0) ns[s].push(((d.user + d.system) * 1000) / texts.length);
    }
  }
  // Each stage's own cost per round (the difference from the stage before, in the same round),
  // then the median over rounds: a slow round slows every stage alike.
  progress(
    `per event, ${texts.length} events × ${rounds} rounds, CPU ns (median of rounds, min–max); ` +
      'a stage is the difference from the line above within each round:',
  );
  for (let k = 0; k < stages.length; k++) {
    const s = stages[k] as Stage;
    const own = ns[s].map((v, r) => v - (k === 0 ? 0 : (ns[stages[k - 1] as Stage][r] as number)));
    const rel = ns[s].map((v, r) => v / (ns['JSON.parse'][r] as number));
    progress(
      `  ${s.padEnd(34)} ${median(own).toFixed(0).padStart(6)} ns (${Math.min(...own).toFixed(0)}–${Math.max(...own).toFixed(0)})` +
        `   cumulative ${median(ns[s]).toFixed(0).padStart(6)} ns = ${median(rel).toFixed(2)} × JSON.parse`,
    );
  }
}

main();
