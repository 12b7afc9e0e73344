import { BehaviorSubject, type Subscription } from 'rxjs';
import {
  LegacyChatSimulator,
  legacyChatSource,
  type LegacyChatFault,
} from '../../../adapters/legacy-chat/index.js';
import { memoryCheckpointStore } from '../../../src/checkpoint/memory.js';
import type { ConversationEvent } from '../../../src/model/event.js';
import type { Logger } from '../../../src/runtime/logger.js';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import type { Rng } from './prng.js';
import { judge, type Verdict } from './truth.js';
import { legacyExpected, tally, waitAllClosed } from './common.js';
import { sleep } from '../../support/wait.js';

/** The legacy faults a run draws from (each one queued with `faults.queue`, or a token rotation). */
export const legacyFaults = [
  '500',
  '502',
  '503',
  '429+Retry-After',
  '401 (same token)',
  '401 (token expired)',
  'connection reset',
  'request timeout',
  'slow response',
  'malformed JSON',
  'schema-invalid chat',
  'schema-invalid all',
  'duplicated events',
  'oversize body',
  // Production behaviours (production-behaviour.md L1, L4, L9): handled in the run, not as faults.
  'unknown key',
  'odd event',
  'accept race',
  // A consumer behaviour (#15): unsubscribe inside next() after a few events, then resume.
  'unsubscribe inside next()',
] as const;
export type LegacyFaultName = (typeof legacyFaults)[number];

export interface LegacyRunOptions {
  chats: number;
  steps: number;
  logger?: Logger;
  /** Bearer prefix, to recognise it in the security test. */
  bearerPrefix?: string;
}

export interface RunResult {
  verdict: Verdict;
  faults: Record<string, number>;
  metrics: Record<string, number>;
  error: unknown;
}

const REQUEST_TIMEOUT_MS = 200;
const MAX_BODY = 256 * 1024;

/** Injects one named fault into the legacy simulator; returns a new bearer when it rotated it. */
export function injectLegacyFault(
  sim: LegacyChatSimulator,
  name: LegacyFaultName,
  r: Rng,
  keys: string[],
): void {
  const f = (fault: LegacyChatFault) => sim.faults.queue(fault, { times: r.int(1, 2) });
  switch (name) {
    case '500':
    case '502':
    case '503':
      return f({ status: Number(name) });
    case '429+Retry-After':
      return f({ status: 429, retryAfter: '0.02' });
    case '401 (same token)':
      return sim.faults.queue({
        status: 401,
        body: 'oauth_problem=token_expired',
        contentType: 'text/plain',
      });
    case '401 (token expired)':
      return; // handled by the caller (it owns the token)
    case 'connection reset':
      return f({ reset: true });
    case 'request timeout':
      return sim.faults.queue({ hang: true }, { times: 1 });
    case 'slow response':
      return f({ delayMs: r.int(20, REQUEST_TIMEOUT_MS / 2) });
    case 'malformed JSON':
      return f({ malformed: true });
    case 'schema-invalid chat':
      return f({ schemaInvalid: keys.length > 0 ? r.pick(keys) : 'all' });
    case 'schema-invalid all':
      return f({ schemaInvalid: 'all' });
    case 'duplicated events':
      return f({ duplicate: true });
    case 'oversize body':
      return f({ oversizeBytes: MAX_BODY + 1024 });
    case 'unknown key':
    case 'odd event':
    case 'accept race':
    case 'unsubscribe inside next()':
      return; // handled by the caller (they change the chat set, the truth or the ringing queue)
  }
}

/**
 * One seeded run of the legacy source against its simulator: chats open, lines are written and
 * chats end while random faults hit the multi-chat call; at the end every chat is ended and the
 * run waits for every `closed` event, then compares with the simulator's ground truth.
 */
export async function legacyRun(r: Rng, o: LegacyRunOptions): Promise<RunResult> {
  let n = 1;
  const prefix = o.bearerPrefix ?? 'legacy-token';
  let current = `${prefix}-${n}`;
  const sim = await LegacyChatSimulator.start({
    bearer: current,
    switches: {
      rendering: r.pick(['wire', 'doc'] as const),
      fromEventIdsSemantics: r.pick(['inclusive', 'exclusive'] as const),
      chatOrder: r.pick(['request', 'reversed'] as const),
      noNewEvents: r.pick(['links-only', 'absent'] as const),
      unknownChatKey: r.pick(['404', '404', 'omit', 'error-element'] as const),
      acceptLink: r.pick(['incomingRequests', 'distinct'] as const),
      acceptRaceStatus: r.pick([404, 409] as const),
    },
  });
  const faults: Record<string, number> = {};
  const metrics = counterMetrics();
  const chats$ = new BehaviorSubject<string[]>([]);
  const emitted: ConversationEvent[] = [];
  let error: unknown;
  const source = legacyChatSource({
    agentSessionUrl: sim.agentSessionUrl,
    bearer: () => current,
    chats: chats$,
    pollIntervalMs: 15,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    maxResponseBytes: MAX_BODY,
    backoff: { initialMs: 5, maxMs: 20, jitter: 0.5 },
    checkpoint: memoryCheckpointStore(),
    acceptIncoming: true,
    maxAbsentPolls: 3,
    metrics,
    ...(o.logger === undefined ? {} : { logger: o.logger }),
  });
  // `stopAfter` > 0: the consumer unsubscribes inside next() after that many more events, then
  // resumes on the same checkpoint; nothing may be lost or delivered twice across the two.
  let stopAfter = 0;
  let sub: Subscription | undefined;
  let resume: NodeJS.Timeout | undefined;
  const subscribe = (): void => {
    sub = source.subscribe({
      next: (e) => {
        emitted.push(e);
        if (stopAfter > 0 && --stopAfter === 0) {
          sub?.unsubscribe();
          resume = setTimeout(subscribe, 20);
        }
      },
      error: (e: unknown) => (error = e),
    });
  };
  subscribe();
  const open: string[] = [];
  const all: string[] = [];
  const ghosts: string[] = [];
  // Events the decoder must reject (reported, skipped): not part of the truth.
  const odd = new Map<string, Set<number>>();
  const expectedOf = (k: string) => legacyExpected(sim.chat(k).events).filter((id) => !odd.get(k)?.has(id));
  let races = 0;
  const markOdd = (key: string, id: number): void => {
    const set = odd.get(key) ?? new Set<number>();
    set.add(id);
    odd.set(key, set);
  };
  const auth = legacyAuthGate(sim);
  try {
    for (let step = 0; step < o.steps && error === undefined; step++) {
      const roll = r.next();
      if (open.length === 0 || (roll < 0.12 && all.length < o.chats)) {
        const key = sim.openConversation();
        open.push(key);
        all.push(key);
        chats$.next([...all, ...ghosts]);
      } else if (roll < 0.55) {
        const key = r.pick(open);
        if (r.chance(0.6)) sim.consumerSays(key, `v${step}`);
        else sim.agentSays(key, `a${step}`);
      } else if (roll < 0.6 && open.length > 1) {
        const key = open.splice(r.int(0, open.length - 1), 1)[0] as string;
        sim.closeConversation(key);
      } else if (roll < 0.85) {
        const name = r.pick(legacyFaults);
        // Two 401s in a row are "a fresh token refused", which rightly ends the stream: inject the
        // next only once the previous one was answered and a request after it succeeded.
        const is401 = name.startsWith('401');
        if (is401 && !auth.settled()) continue;
        if (is401) auth.injected();
        // One accept race at a time, so the ringing chat another agent takes is always the decoy.
        if (name === 'accept race' && (metrics.snapshot()['accept.races'] ?? 0) < races) continue;
        tally(faults, name);
        if (name === 'unknown key') {
          ghosts.push(`GONE-${step}`);
          chats$.next([...all, ...ghosts]);
        } else if (name === 'odd event') {
          const key = r.pick(open);
          const kind = r.int(0, 4);
          if (kind === 0) markOdd(key, sim.agentSays(key, 'https://x', { textType: 'url' }));
          else if (kind === 1)
            markOdd(
              key,
              sim.addEvent(key, 'line', { text: 'who?', textType: 'plain', omitFields: ['source'] }),
            );
          else if (kind === 2) sim.addEvent(key, 'a2a-transfer');
          else if (kind === 3) sim.agentSays(key, 'note', { private: true });
          else sim.agentSays(key, 'card', { textType: 'json', json: { type: 'vertical' } });
        } else if (name === 'unsubscribe inside next()') {
          if (stopAfter === 0) stopAfter = r.int(1, 6);
        } else if (name === 'accept race') {
          races += 1;
          sim.openConversation({ waiting: true });
          sim.faults.queue({ route: 'accept', race: true });
        } else if (name === '401 (token expired)') {
          current = `${prefix}-${++n}`;
          sim.rotateBearer(current);
        } else injectLegacyFault(sim, name, r, open);
      }
      await sleep(r.int(0, 12));
    }
    for (const key of open) sim.closeConversation(key);
    await waitAllClosed(emitted, all, () => error !== undefined, expectedOf);
  } finally {
    stopAfter = 0;
    clearTimeout(resume);
    sub?.unsubscribe();
    await sim.close();
  }
  const expected = new Map(all.map((k) => [`legacy-chat:${k}`, expectedOf(k)]));
  return { verdict: judge(emitted, expected), faults, metrics: metrics.snapshot(), error };
}

/**
 * Two 401s in a row are "a fresh token refused", which rightly ends the stream: a run injects the
 * next 401 only once the previous one was answered and a later request succeeded.
 */
export function legacyAuthGate(sim: LegacyChatSimulator): { settled(): boolean; injected(): void } {
  let injected = 0;
  return {
    settled() {
      const statuses = sim.requests.map((q) => q.status);
      const last = statuses.lastIndexOf(401);
      const seen = statuses.filter((st) => st === 401).length;
      return seen >= injected && (last < 0 || statuses.slice(last + 1).includes(200));
    },
    injected: () => void injected++,
  };
}
