import { parseArgs } from 'node:util';
import { BehaviorSubject, type Subscription } from 'rxjs';
import { legacyChat, LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import { loginSession, LoginSimulator } from '../../adapters/login/index.js';
import { ChatshiftError } from '../errors.js';
import { conversationEvents } from '../cutover/conversation-events.js';
import type { BackendChoice } from '../cutover/backend-flag.js';
import { counterMetrics } from '../runtime/metrics.js';
import { conversationActions } from '../actions/conversation-actions.js';
import { demoBot } from './demo-bot.js';
import type { CliIo } from './run.js';
import { Tally } from './summary.js';
import { alignedBlock, counts, parseTypes, useColour } from './format.js';
import { createView } from './view.js';
import { Workload, type ScriptedConversation } from './workload.js';

export const demoHelp = `Demo options (chatshift [demo]):
  --json              print NDJSON events on stdout (the summary goes to stderr as JSON)
  --duration-s N      compress the scripted traffic into about N seconds (default 20)
  --conversations N   how many conversations to script (default 40)
  --seed N            replay a run with the same traffic (default: random, printed)
  --types T1,T2       show only these event types (message, state, typing, participant,
                      receipt); the summary counts every event

The demo starts a legacy Chat Agent API simulator and a Messaging simulator on 127.0.0.1,
scripts a contact centre's traffic on them, and follows it through conversationEvents() while
the backend flag moves legacy-chat -> both -> messaging. Legacy chats open before the switch
keep streaming until they close (drain), then the legacy source stops. A bot built on
conversationActions (src/cli/demo-bot.ts) answers every consumer message on whichever backend owns
the conversation. It ends with a summary.
`;

interface Summary {
  seed: number;
  durationMs: number;
  conversations: { scripted: number; seen: number; notTakenDuringDrain: number };
  events: Record<string, number>;
  types: Record<string, number>;
  duplicatesDropped: number;
  gaps: number;
  outOfOrder: number;
  httpRequests: number;
  wsFrames: { in: number; out: number };
  decisions: string[];
  /** The demo bot (src/cli/demo-bot.ts): consumer messages answered, and refused (closed meanwhile). */
  bot: { answered: number; refused: Record<string, number> };
}

const positiveInt = (name: string, v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new ChatshiftError('ERR_USAGE', `${name} must be a positive integer`);
  return n;
};

/** The default `chatshift` run: the whole migration, compressed, on embedded simulators. */
export async function runDemo(argv: readonly string[], io: CliIo, signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      json: { type: 'boolean', default: false },
      types: { type: 'string' },
      'duration-s': { type: 'string' },
      conversations: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const durationMs = positiveInt('--duration-s', values['duration-s'], 20) * 1000;
  const total = positiveInt('--conversations', values.conversations, 40);
  const seed =
    values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : positiveInt('--seed', values.seed, 1);
  const view = createView(io, {
    json: values.json,
    colour: useColour(io.stdout.isTTY, io.env),
    types: parseTypes(values.types),
  });
  const out = values.json ? io.stderr : io.stdout;

  // One simulated account: the demo logs in with the simulator's demo credentials, as a user would.
  const loginSim = await LoginSimulator.start({ accountId: '1234' });
  const legacySim = await LegacyChatSimulator.start({ accountId: '1234', now: Date.now });
  const messagingSim = await MessagingSimulator.start({ accountId: '1234', frameLog: false });
  loginSim.bundle({ legacy: legacySim, messaging: messagingSim });
  const session = loginSession({ ...loginSim.clientOptions(), backoff: { initialMs: 100, maxMs: 1000 } });
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  let sub: Subscription | undefined;
  // The bot answering every consumer message through the cutover, the same code on both backends.
  const legacy = legacyChat({
    session,
    acceptIncoming: true,
    pollIntervalMs: 250,
    backoff: { initialMs: 100, maxMs: 1000 },
  });
  const msg = messaging({
    session,
    agentId: loginSim.agentId,
    backoff: { initialMs: 100, maxMs: 1000 },
  });
  const actions = conversationActions({ legacy, messaging: msg });
  const bot = demoBot(actions);
  const answers = { answered: 0, refused: {} as Record<string, number> };
  try {
    out.write(
      values.json
        ? ''
        : `chatshift demo · seed ${seed} · ${total} conversations in ~${durationMs / 1000}s · simulators on ${new URL(legacySim.agentSessionUrl).host} (legacy) and ${messagingSim.domain} (messaging)\n`,
    );
    const flag = new BehaviorSubject<BackendChoice>('legacy-chat');
    const metrics = counterMetrics();
    const tally = new Tally();
    const decisions: string[] = [];
    let legacyStopped = false;
    const started = Date.now();
    const workload = new Workload(legacySim, messagingSim, seed);
    // Time is compressed: the demo polls every 250 ms where production keeps LivePerson's 2 s.
    const scale = durationMs / 20_000;

    let outputGone = false;
    const finished = new Promise<'done' | 'aborted' | Error>((resolve) => {
      const check = () => {
        const allScripted =
          workload.conversations.length === total && workload.conversations.every((c) => c.closed);
        if (allScripted && tally.openConversations === 0 && legacyStopped) resolve('done');
      };
      sub = conversationEvents({
        backend: flag,
        legacy,
        messaging: msg,
        metrics,
        logger: { warn: (m) => view.note(`warn: ${m}`), error: (m) => view.note(`error: ${m}`) },
        onDecision: (d) => {
          const line = `${d.action} ${d.backend}: ${d.reason}`;
          decisions.push(line);
          view.note(`⇄ cutover · ${line}`);
          if (d.backend === 'legacy-chat' && d.action === 'stopped') legacyStopped = true;
          check();
        },
      }).subscribe({
        next(e) {
          if (e.type === 'message' && e.from.role === 'consumer')
            bot(e).then(
              () => answers.answered++,
              (err: { code?: string }) => {
                const code = err.code ?? 'error';
                answers.refused[code] = (answers.refused[code] ?? 0) + 1;
              },
            );
          tally.add(e);
          view.event(e);
          view.progress({
            perBackend: tally.perBackend,
            open: tally.openConversations,
            backend: flag.value,
            elapsedMs: Date.now() - started,
          });
          if (e.type === 'state' && e.state === 'closed') check();
        },
        error: (e: unknown) => resolve(e instanceof Error ? e : new Error(String(e))),
      });
      signal.addEventListener('abort', () => resolve('aborted'));
      // The reader of stdout went away (`| head`): nothing more can be shown, so stop quietly.
      io.stdout.on('error', () => {
        outputGone = true;
        resolve('aborted');
      });

      // The migration: legacy only, then both platforms, then messaging only.
      later(0.3 * durationMs, () => flag.next('both'));
      later(0.6 * durationMs, () => flag.next('messaging'));
      const play = (c: ScriptedConversation) =>
        later(workload.nextDelay(scale), () => {
          if (workload.advance(c)) play(c);
          else check();
        });
      for (let i = 0; i < total; i++) {
        const at = (i * 0.7 * durationMs) / total;
        later(at, () => {
          const phase = at / durationMs;
          // Intake moves with the account: legacy first, then mixed, then messaging only. Legacy
          // intake stops a little before the switch so its ringing chats are accepted in time.
          const backend =
            phase < 0.3
              ? 'legacy-chat'
              : phase < 0.52 && workload.pick([true, false])
                ? 'legacy-chat'
                : 'messaging';
          play(workload.open(backend));
        });
      }
      later(3 * durationMs + 10_000, () =>
        resolve(new Error('the demo did not finish in time: some conversations never closed')),
      );
    });

    const result = await finished;
    sub?.unsubscribe();
    if (outputGone) return 0;
    view.end();
    const summary = summarise();
    if (values.json) io.stderr.write(`${JSON.stringify({ summary })}\n`);
    else printSummary(out, summary);
    if (result === 'aborted') return 130;
    if (result instanceof Error) {
      io.stderr.write(`chatshift: ${result.message}\n`);
      return 1;
    }
    return summary.gaps === 0 && summary.outOfOrder === 0 ? 0 : 1;

    function summarise(): Summary {
      let gaps = 0;
      let seen = 0;
      let notTaken = 0;
      for (const c of workload.conversations) {
        const got = tally.seen(`${c.backend}:${c.id}`);
        const expected =
          c.backend === 'legacy-chat'
            ? legacySim.chat(c.id).events.map((e) => e.id)
            : messagingSim.history(c.id).map((r) => r['sequence'] as number);
        if (got.size === 0 && c.backend === 'legacy-chat' && legacySim.chat(c.id).ringing) {
          notTaken++;
          continue;
        }
        if (got.size > 0) seen++;
        gaps += expected.filter((s) => !got.has(s)).length;
      }
      const m = metrics.snapshot();
      return {
        seed,
        durationMs: Date.now() - started,
        conversations: { scripted: workload.conversations.length, seen, notTakenDuringDrain: notTaken },
        events: { ...tally.perBackend },
        types: { ...tally.perType },
        duplicatesDropped: m['events.duplicates'] ?? 0,
        gaps,
        outOfOrder: tally.outOfOrder,
        httpRequests: m['http.requests'] ?? 0,
        wsFrames: { in: m['ws.frames.in'] ?? 0, out: m['ws.frames.out'] ?? 0 },
        decisions,
        bot: answers,
      };
    }
  } finally {
    sub?.unsubscribe();
    await actions.dispose();
    for (const t of timers) clearTimeout(t);
    await session.close();
    await Promise.all([loginSim.close(), legacySim.close(), messagingSim.close()]);
  }
}

function printSummary(out: NodeJS.WritableStream, s: Summary): void {
  out.write(
    alignedBlock(`summary (seed ${s.seed}, ${(s.durationMs / 1000).toFixed(1)} s)`, [
      [
        'conversations',
        `${s.conversations.seen} followed of ${s.conversations.scripted} scripted${s.conversations.notTakenDuringDrain > 0 ? ` (${s.conversations.notTakenDuringDrain} rang during the drain and were not taken)` : ''}`,
      ],
      ['events', counts(s.events)],
      ['by type', counts(s.types)],
      ['duplicates dropped', `${s.duplicatesDropped} (re-deliveries caught by the per-conversation cursors)`],
      ['gaps', String(s.gaps)],
      ['out of order', String(s.outOfOrder)],
      ['HTTP requests', `${s.httpRequests} (legacy polling, one multi-chat request per cycle)`],
      ['WebSocket frames', `${s.wsFrames.in} in, ${s.wsFrames.out} out`],
      [
        'bot answers',
        `${s.bot.answered} through conversationActions${Object.keys(s.bot.refused).length > 0 ? ` (refused: ${counts(s.bot.refused)})` : ''}`,
      ],
    ]),
  );
}
