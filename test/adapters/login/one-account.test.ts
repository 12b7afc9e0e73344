import assert from 'node:assert/strict';
import type { Subscription } from 'rxjs';
import { loginSession, type LoginSession } from '../../../adapters/login/index.js';
import { legacyChat } from '../../../adapters/legacy-chat/index.js';
import { messaging } from '../../../adapters/messaging/index.js';
import { counterMetrics, isChatshiftError, type ConversationEvent } from '../../../src/index.js';
import { startOneAccount, type OneAccount } from '../../support/account.js';
import { recordingLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

const fastLegacy = { pollIntervalMs: 20, backoff: { initialMs: 10, maxMs: 50 } } as const;
const fastMessaging = { backoff: { initialMs: 10, maxMs: 50 } } as const;

function collect(events$: { subscribe(o: object): Subscription }) {
  const out: { events: ConversationEvent[]; error?: unknown; sub?: Subscription } = { events: [] };
  out.sub = events$.subscribe({
    next: (e: ConversationEvent) => out.events.push(e),
    error: (e: unknown) => (out.error = e),
  });
  return out;
}
/** Ids of the conversation's events that carry a `seq` (wire events; derived ones aside). */
const idsOf = (events: ConversationEvent[], conversationId: string): string[] =>
  events.filter((e) => e.conversationId === conversationId && e.seq !== undefined).map((e) => e.id);
const unique = (ids: string[]): boolean => new Set(ids).size === ids.length;

describe('sessions on both backends, the simulators as one account', function () {
  this.timeout(20_000);
  let acct: OneAccount;
  let session: LoginSession;
  const subs: Subscription[] = [];
  beforeEach(async () => {
    acct = await startOneAccount();
    session = loginSession({ ...acct.login.clientOptions(), backoff: { initialMs: 10, maxMs: 50 } });
  });
  afterEach(async () => {
    for (const s of subs.splice(0)) s.unsubscribe();
    await session.close();
    await acct.close();
  });

  it('legacy: creates its agent session from the session alone, accepts and follows chats', async () => {
    const key = acct.legacy.openConversation({ waiting: true });
    const run = collect(legacyChat({ session, acceptIncoming: true, ...fastLegacy }).events());
    subs.push(run.sub!);
    await waitFor(() => idsOf(run.events, key).length === 4, 'the accepted chat');
    assert.equal(acct.legacy.agentSessionsCreated, 1);
    assert.equal(acct.login.logins, 1);
    assert.equal(run.error, undefined);
  });

  it('legacy: a token expiry costs one re-login and nothing else', async () => {
    const key = acct.legacy.openConversation({ waiting: true });
    const run = collect(legacyChat({ session, acceptIncoming: true, ...fastLegacy }).events());
    subs.push(run.sub!);
    await waitFor(() => idsOf(run.events, key).length === 4, 'the accepted chat');
    acct.login.expireToken();
    acct.legacy.consumerSays(key, 'after expiry');
    await waitFor(() => idsOf(run.events, key).length === 5, 'the line after the expiry');
    assert.equal(acct.login.logins, 2);
    assert.equal(acct.legacy.agentSessionsCreated, 1);
    assert.ok(unique(idsOf(run.events, key)));
  });

  it('legacy: an expired agent session is replaced and its chats followed on through chatSessions', async () => {
    const keys = [
      acct.legacy.openConversation({ waiting: true }),
      acct.legacy.openConversation({ waiting: true }),
    ];
    const metrics = counterMetrics();
    const run = collect(legacyChat({ session, acceptIncoming: true, metrics, ...fastLegacy }).events());
    subs.push(run.sub!);
    await waitFor(() => keys.every((k) => idsOf(run.events, k).length === 4), 'both chats');
    acct.legacy.expireAgentSession({ continuity: true });
    for (const k of keys) acct.legacy.consumerSays(k, 'in the new agent session');
    await waitFor(() => keys.every((k) => idsOf(run.events, k).length === 5), 'the lines after renewal');
    assert.equal(acct.legacy.agentSessionsCreated, 2);
    assert.equal(metrics.snapshot()['chats.lost'] ?? 0, 0);
    for (const k of keys) assert.ok(unique(idsOf(run.events, k)));
    assert.equal(run.error, undefined);
  });

  it('legacy: chats an expired agent session returned to the queue are counted and logged as lost, and resume from their cursor if accepted again', async () => {
    const key = acct.legacy.openConversation({ waiting: true });
    const metrics = counterMetrics();
    const logger = recordingLogger();
    const run = collect(
      legacyChat({ session, acceptIncoming: true, metrics, logger, ...fastLegacy }).events(),
    );
    subs.push(run.sub!);
    await waitFor(() => idsOf(run.events, key).length === 4, 'the chat');
    acct.legacy.expireAgentSession({ continuity: false });
    await waitFor(() => metrics.snapshot()['chats.lost'] === 1, 'the chat counted as lost');
    assert.ok(logger.records.some((r) => r.level === 'error' && r.fields?.['chatSessionKey'] === key));
    // Back in the queue, it rings; the backend accepts it again and goes on from its cursor.
    acct.legacy.consumerSays(key, 'back again');
    await waitFor(
      () => run.events.some((e) => e.type === 'message' && e.text === 'back again'),
      'the chat again',
    );
    assert.ok(unique(idsOf(run.events, key)));
  });

  it('messaging: discovers facadeMsg (or asyncMessagingEnt) and the agent id from the session', async () => {
    for (const which of ['facadeMsg', 'asyncMessagingEnt'] as const) {
      acct.login.configure({ csdsMessagingService: which });
      const s = loginSession({ ...acct.login.clientOptions(), backoff: { initialMs: 10, maxMs: 50 } });
      const conv = acct.messaging.openConversation();
      acct.messaging.consumerSays(conv, `via ${which}`);
      const run = collect(messaging({ session: s, ...fastMessaging }).events());
      await waitFor(
        () => run.events.some((e) => e.conversationId === conv && e.type === 'message'),
        `a message via ${which}`,
      );
      run.sub!.unsubscribe();
      await s.close();
    }
  });

  it('both backends share one session: a token expiry and their concurrent refusals cause exactly one login', async () => {
    const lkey = acct.legacy.openConversation({ waiting: true });
    const conv = acct.messaging.openConversation();
    const legacy = collect(legacyChat({ session, acceptIncoming: true, ...fastLegacy }).events());
    const msg = collect(messaging({ session, ...fastMessaging }).events());
    subs.push(legacy.sub!, msg.sub!);
    acct.messaging.consumerSays(conv, 'one');
    await waitFor(
      () => idsOf(legacy.events, lkey).length === 4 && msg.events.some((e) => e.type === 'message'),
      'both',
    );
    for (let i = 1; i <= 3; i++) {
      acct.login.expireToken();
      acct.legacy.consumerSays(lkey, `legacy ${i}`);
      acct.messaging.consumerSays(conv, `messaging ${i}`);
      await waitFor(
        () =>
          idsOf(legacy.events, lkey).length === 4 + i &&
          msg.events.filter((e) => e.type === 'message').length === 1 + i,
        `both after expiry ${i}`,
      );
      assert.equal(acct.login.logins, 1 + i);
    }
    assert.ok(unique(legacy.events.map((e) => e.id)));
    assert.ok(unique(msg.events.map((e) => e.id)));
    assert.equal(legacy.error, undefined);
    assert.equal(msg.error, undefined);
  });

  it('a wrong password or an unreachable CSDS ends each backend with a coded error, never a hang', async () => {
    const bad = [
      loginSession({
        ...acct.login.clientOptions(),
        password: 'wrong-password-3',
        backoff: { initialMs: 10 },
      }),
      loginSession({
        ...acct.login.clientOptions(),
        csdsDomain: '127.0.0.1:9',
        backoff: { initialMs: 10, maxAttempts: 2 },
      }),
    ];
    for (const [s, code] of [
      [bad[0], 'ERR_AUTH_REJECTED'],
      [bad[1], 'ERR_DISCOVERY'],
    ] as const) {
      const legacy = collect(legacyChat({ session: s!, ...fastLegacy }).events());
      const msg = collect(messaging({ session: s!, ...fastMessaging }).events());
      await waitFor(() => legacy.error !== undefined, 'the legacy stream to fail');
      assert.ok(isChatshiftError(legacy.error, code), String(legacy.error));
      if (code === 'ERR_AUTH_REJECTED') {
        await waitFor(() => msg.error !== undefined, 'the messaging stream to fail');
        assert.ok(isChatshiftError(msg.error, code), String(msg.error));
      }
      msg.sub!.unsubscribe();
      await s!.close();
    }
  });

  it('rejects a session of the wrong shape, and a session with a bearer, synchronously', () => {
    for (const make of [
      () => legacyChat({ session: {} as never }),
      () => legacyChat({ session, bearer: 'x' }),
      () => messaging({ session: { accountId: '1' } as never }),
      () => messaging({ session, bearer: 'x' }),
      () => messaging({ session, accountId: 'other' }),
    ])
      assert.throws(make, (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'));
  });
});
