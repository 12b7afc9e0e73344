import { BehaviorSubject } from 'rxjs';
import { legacyChat, LegacyChatSimulator } from '../../../adapters/legacy-chat/index.js';
import { loginSession } from '../../../adapters/login/index.js';
import { messaging, MessagingSimulator } from '../../../adapters/messaging/index.js';
import { startOneAccount, type OneAccount } from '../../support/account.js';
import {
  conversationActions,
  conversationEvents,
  isChatshiftError,
  memoryCheckpointStore,
} from '../../../src/index.js';
import type { BackendChoice } from '../../../src/cutover/backend-flag.js';
import { sleep, waitFor } from '../../support/wait.js';
import { fastMessaging } from './messaging-run.js';
import type { Rng } from './prng.js';

/** What a bot run found, counted on the simulators' side. */
export interface BotRunResult {
  /** Consumer messages the bot had to answer. */
  expected: number;
  /** Legacy chats that rang until the flag left legacy, never accepted (no answer owed). */
  neverTaken: number;
  /** Sends that resolved. */
  resolved: number;
  /** Answers found more than once in their conversation. */
  duplicated: number;
  /** Resolved sends whose answer is not in the conversation. */
  silentlyLost: number;
  /** Conversations whose answers are not in the order of the messages they answer. */
  outOfOrder: number;
  /** Sends reported `ERR_OUTCOME_UNKNOWN` (reported, not silent), and any other errors. */
  reported: Record<string, number>;
  /** Legacy answers sent while the flag said messaging (chats draining through legacy). */
  drainAnswers: number;
  /** Sends answered through each backend. */
  byBackend: Record<string, number>;
  faults: Record<string, number>;
  /** A secret seen in the logs. */
  leaked: boolean;
  /** Session runs: logins (the first one and one per token expiry) and token expiries injected. */
  logins?: number;
  expiries?: number;
  /** Of them, expiries while the messaging events ran (flag `both` or `messaging`). */
  expiriesWithMessaging?: number;
  /** An error that ended the events stream (none expected). */
  streamError?: string;
}

const tally = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1;
};

/**
 * One seeded run: a bot built on `conversationActions` answers every consumer message
 * (`re:<text>`) while the flag moves legacy → both → messaging, and the simulators drop, delay
 * (commit-then-drop) and rate-limit its writes and reset connections. Legacy chats opened before
 * the move keep draining through legacy. At the end every answer is counted in the simulators.
 */
export async function botRun(
  r: Rng,
  o: { steps: number; auth?: 'bearer' | 'session' },
): Promise<BotRunResult> {
  const logs: string[] = [];
  const logger = {
    warn: (m: string, f?: object) => logs.push(`${m} ${JSON.stringify(f ?? {})}`),
    error: (m: string, f?: object) => logs.push(`${m} ${JSON.stringify(f ?? {})}`),
  };
  // Session runs: the three simulators as one account, one login shared by both backends, whose
  // tokens expire mid-run (legacy answers 401; messaging closes 4401 or cuts the socket).
  const acct: OneAccount | undefined = o.auth === 'session' ? await startOneAccount() : undefined;
  const legacySim = acct?.legacy ?? (await LegacyChatSimulator.start({ bearer: 'BOT-RUN-LEGACY-SECRET' }));
  const msgSim =
    acct?.messaging ?? (await MessagingSimulator.start({ frameLog: false, tokens: ['BOT-RUN-MSG-SECRET'] }));
  const session =
    acct === undefined
      ? undefined
      : loginSession({ ...acct.login.clientOptions(), backoff: { initialMs: 5, maxMs: 20 }, logger });
  const secrets = new Set(['BOT-RUN-LEGACY-SECRET', 'BOT-RUN-MSG-SECRET']);
  if (acct !== undefined) secrets.add(acct.login.clientOptions().password);
  const fast = { requestTimeoutMs: 200, backoff: { initialMs: 5, maxMs: 20, jitter: 0.5 }, logger };
  const legacy = legacyChat({
    ...(session === undefined ? legacySim.clientOptions() : { session }),
    acceptIncoming: true,
    pollIntervalMs: 15,
    ...fast,
  });
  const msg = messaging({
    ...(session === undefined ? { ...msgSim.clientOptions(), agentId: msgSim.agentId } : { session }),
    ...fastMessaging,
    ...fast,
  });
  let expiries = 0;
  let expiriesWithMessaging = 0;
  let lastExpiry = { at: 0, logins: 0, answered: 0 };
  // Another expiry only once the last one was cured (a re-login, and messaging subscribed again if
  // it runs) and its stragglers are over: two refusals of one fresh token rightly end a stream.
  const canExpire = (phase: BackendChoice): boolean =>
    acct !== undefined &&
    acct.login.logins > lastExpiry.logins &&
    (phase === 'legacy-chat' || msgSim.subscriptionsAnswered > lastExpiry.answered) &&
    Date.now() - lastExpiry.at > 250;
  const expire = (how: 4401 | 'abrupt'): void => {
    if (acct === undefined) return;
    for (const t of acct.login.validTokens()) secrets.add(t);
    lastExpiry = { at: Date.now(), logins: acct.login.logins, answered: msgSim.subscriptionsAnswered };
    expiries++;
    msgSim.configure({ revocationClose: how });
    acct.login.expireToken();
  };
  const flag$ = new BehaviorSubject<BackendChoice>('legacy-chat');
  const actions = conversationActions({ legacy, messaging: msg, logger });
  const faults: Record<string, number> = {};
  const reported: Record<string, number> = {};
  const byBackend: Record<string, number> = {};
  const pending = new Set<Promise<unknown>>();
  let resolved = 0;
  let drainAnswers = 0;
  const answeredOk = new Set<string>();
  let streamError: string | undefined;
  // The bot: the integration code that never changes.
  const sub = conversationEvents({
    legacy,
    messaging: msg,
    backend: flag$,
    checkpoint: memoryCheckpointStore(),
    logger,
  }).subscribe({
    error: (e: unknown) => (streamError = isChatshiftError(e) ? e.code : String(e)),
    next: (e) => {
      if (e.type !== 'message' || e.from.role !== 'consumer') return;
      const phaseAtSend = flag$.value;
      const p = actions.send(e, { text: `re:${e.text}` }).then(
        (s) => {
          resolved++;
          tally(byBackend, s.backend);
          if (s.backend === 'legacy-chat' && phaseAtSend === 'messaging') drainAnswers++;
          answeredOk.add(`${e.conversationId}|re:${e.text}`);
        },
        (err: unknown) => tally(reported, isChatshiftError(err) ? err.code : String(err)),
      );
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
  });
  const chats: string[] = [];
  const convs: string[] = [];
  const said = new Map<string, string[]>();
  const say = (id: string, legacyChat: boolean, step: number): void => {
    const text = `c${step}`;
    if (legacyChat) legacySim.consumerSays(id, text);
    else msgSim.consumerSays(id, text);
    said.set(id, [...(said.get(id) ?? []), text]);
  };
  try {
    for (let step = 0; step < o.steps; step++) {
      const phase = step < o.steps / 3 ? 'legacy-chat' : step < (2 * o.steps) / 3 ? 'both' : 'messaging';
      if (flag$.value !== phase) {
        tally(faults, `flag -> ${phase}`);
        flag$.next(phase);
      }
      const roll = r.next();
      if (phase !== 'messaging' && (chats.length === 0 || roll < 0.05))
        chats.push(legacySim.openConversation({ waiting: true }));
      else if (phase !== 'legacy-chat' && (convs.length === 0 || roll < 0.1))
        convs.push(msgSim.openConversation());
      else if (roll < 0.5 && chats.length > 0) say(r.pick(chats), true, step);
      else if (roll < 0.85 && convs.length > 0) say(r.pick(convs), false, step);
      else if (roll < 0.93 && canExpire(phase)) {
        const how = r.pick([4401, 'abrupt'] as const);
        tally(faults, how === 4401 ? 'token expired (4401)' : 'token expired (abrupt close)');
        expire(how);
        if (phase !== 'legacy-chat') expiriesWithMessaging++;
      } else if (legacySim.faults.pending().length === 0 && msgSim.faults.pending().length === 0) {
        const f = r.pick([
          'legacy drop',
          'legacy late',
          'legacy 429',
          'legacy 503',
          'messaging drop',
          'messaging late',
          'messaging 429',
          'messaging reset',
        ] as const);
        tally(faults, f);
        if (f === 'legacy drop') legacySim.faults.queue({ route: 'events', commitThenDrop: 'reset' });
        if (f === 'legacy late')
          legacySim.faults.queue({ route: 'events', commitThenDrop: 'delay', delayMs: 400 });
        if (f === 'legacy 429') legacySim.faults.queue({ route: 'events', status: 429, retryAfter: '1' });
        if (f === 'legacy 503') legacySim.faults.queue({ route: 'events', status: 503 });
        if (f === 'messaging drop') msgSim.faults.queue({ request: 'PublishEvent', commitThenDrop: 'close' });
        if (f === 'messaging late')
          msgSim.faults.queue({ request: 'PublishEvent', commitThenDrop: 'delay', delayMs: 400 });
        if (f === 'messaging 429') msgSim.faults.queue({ request: 'PublishEvent', code: 429, retryAfter: 1 });
        if (f === 'messaging reset') msgSim.dropConnections();
      }
      await sleep(r.int(0, 10));
    }
    // A chat still ringing when the flag left legacy was never accepted (legacy drains: no new
    // conversations), so its consumer's messages are owed no answer; counted apart.
    const owed = (): Array<[string, string[]]> =>
      [...said].filter(([id]) => !(chats.includes(id) && legacySim.chat(id).ringing));
    const expectedNow = (): number => owed().reduce((n, [, l]) => n + l.length, 0);
    // Every consumer message answered or reported; nothing more in flight.
    await waitFor(
      () =>
        streamError !== undefined ||
        (resolved + Object.values(reported).reduce((a, b) => a + b, 0) >= expectedNow() &&
          pending.size === 0),
      () =>
        `answers: ${resolved} resolved, ${JSON.stringify(reported)} reported of ${expectedNow()}; ${pending.size} pending; unanswered ${owed()
          .flatMap(([id, l]) =>
            l
              .filter((t) => !answeredOk.has(`${id}|re:${t}`))
              .map((t) => `${chats.includes(id) ? 'legacy' : 'messaging'} ${id} ${t}`),
          )
          .join(
            ', ',
          )}; faults ${JSON.stringify(faults)}; pending ${JSON.stringify([...legacySim.faults.pending(), ...msgSim.faults.pending()])}`,
      40_000,
    );
    let duplicated = 0;
    let silentlyLost = 0;
    let outOfOrder = 0;
    const expected = expectedNow();
    const neverTaken = said.size - owed().length;
    for (const [id, texts] of owed()) {
      const isLegacy = chats.includes(id);
      const got = isLegacy
        ? legacySim.agentLines(id).map((e) => e.text ?? '')
        : msgSim
            .history(id)
            .filter((x) => (x['originatorMetadata'] as { role?: string }).role !== 'CONSUMER')
            .map((x) => String((x['event'] as { message?: unknown }).message));
      const answers = got.filter((t) => t.startsWith('re:'));
      for (const t of texts) {
        const n = answers.filter((a) => a === `re:${t}`).length;
        if (n > 1) duplicated++;
        if (n === 0 && answeredOk.has(`${id}|re:${t}`)) silentlyLost++;
      }
      const wanted = texts.map((t) => `re:${t}`).filter((t) => answers.includes(t));
      if (JSON.stringify([...new Set(answers)]) !== JSON.stringify(wanted)) outOfOrder++;
    }
    if (session !== undefined) for (const t of acct?.login.validTokens() ?? []) secrets.add(t);
    const leaked = logs.some((l) => [...secrets].some((t) => l.includes(t)));
    return {
      expected,
      neverTaken,
      resolved,
      drainAnswers,
      duplicated,
      silentlyLost,
      outOfOrder,
      reported,
      byBackend,
      faults,
      leaked,
      ...(acct === undefined ? {} : { logins: acct.login.logins, expiries, expiriesWithMessaging }),
      ...(streamError === undefined ? {} : { streamError }),
    };
  } finally {
    sub.unsubscribe();
    await actions.dispose();
    await session?.close();
    if (acct !== undefined) await acct.close();
    else {
      await legacySim.close();
      await msgSim.close();
    }
  }
}
