import assert from 'node:assert/strict';
import { lastValueFrom, Subject, tap, toArray } from 'rxjs';
import { loginSession, type LoginSession } from '../../../adapters/login/index.js';
import { messaging } from '../../../adapters/messaging/index.js';
import {
  shardedConversationEvents,
  type OwnershipChange,
  type ShardedEvent,
  type ShardSpec,
} from '../../../adapters/redis/index.js';
import { isChatshiftError } from '../../../src/errors.js';
import { startOneAccount, type OneAccount } from '../../support/account.js';
import { describeWithRedis, RedisServer, type TestRedisClient } from '../../support/redis.js';
import { sleep, waitFor } from '../../support/wait.js';

const TTL = 2000;
const WAIT = 20_000;
const REFRESH_MS = 200;

// A shard in production logs in as its agent: the owner builds the login with the shard's
// backends and closes it when the ownership ends. LivePerson keeps one login per agent user (a
// second login logs the first out, M8 — the login simulator does the same), so an old owner that
// kept refreshing would log the new owner out and be logged out by it in turn.
describeWithRedis('shardedConversationEvents: a login and actions per shard', function () {
  this.timeout(60_000);
  let server: RedisServer;
  let client: TestRedisClient;
  let acct: OneAccount;
  before(async () => {
    server = await RedisServer.start();
    client = await server.client();
  });
  beforeEach(async () => {
    acct = await startOneAccount();
  });
  afterEach(async () => {
    await acct?.close();
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  /** One shard, agent 1234.77, on messaging, logging in per ownership; `dispose` closes that login. */
  const shard = (sessions: LoginSession[]): ShardSpec => ({
    id: 'agent-77',
    accountId: '1234',
    agentId: '1234.77',
    backend: 'messaging',
    backends: (ctx) => {
      const session = loginSession({
        ...acct.login.clientOptions(),
        refreshIntervalMs: REFRESH_MS,
        backoff: { initialMs: 10, maxMs: 50 },
        dispatcher: ctx.guardDispatcher(),
        scheduler: ctx.scheduler,
      });
      sessions.push(session);
      return {
        messaging: messaging({
          session,
          scheduler: ctx.scheduler,
          WebSocket: ctx.guardWebSocket(),
          backoff: { initialMs: 20, maxMs: 100 },
        }),
        dispose: () => session.close(),
      };
    },
  });

  const runner = (name: string, specs: ShardSpec[], stop: Subject<void>, prefix: string) => {
    const r = shardedConversationEvents({
      redis: client,
      shards: specs,
      instanceId: name,
      leaseTtlMs: TTL,
      joinGraceMs: 0,
      prefix,
      stop,
    });
    const changes: Array<OwnershipChange & { logoutsSeen: number }> = [];
    r.ownership$.subscribe((c) => changes.push({ ...c, logoutsSeen: logouts() }));
    const seen: ShardedEvent[] = [];
    const done = lastValueFrom(
      r.events$.pipe(
        tap((e) => seen.push(e)),
        toArray(),
      ),
    );
    return { r, changes, seen, done };
  };
  const logouts = () => acct.login.requests.filter((q) => q.route === 'logout').length;
  const agentLines = (conv: string) =>
    acct.messaging
      .history(conv)
      .filter((h) => JSON.stringify(h).includes('answer to '))
      .map((h) => JSON.stringify(h));

  it("answers through the event's actions; after the ownership, actions refuse and its login has logged out before the release", async () => {
    const sessions: LoginSession[] = [];
    const stop = new Subject<void>();
    const a = runner('a', [shard(sessions)], stop, 'sess1');
    const conv = acct.messaging.openConversation();
    acct.messaging.consumerSays(conv, 'hello');
    let answered: ShardedEvent | undefined;
    await waitFor(
      () => a.seen.some((e) => e.event.type === 'message'),
      () => `the consumer's message: ${JSON.stringify(a.seen.map((e) => e.event.id))}`,
      WAIT,
    );
    for (const e of a.seen)
      if (e.event.type === 'message' && e.event.from.role === 'consumer') {
        assert.ok(e.actions !== undefined, 'the event carries its shard actions');
        const r = await e.actions.send(e.event, { text: `answer to ${e.event.id}` });
        assert.equal(r.backend, 'messaging');
        answered = e;
      }
    assert.ok(answered !== undefined);
    assert.equal(agentLines(conv).length, 1, 'answered once');
    assert.equal(a.r.actions('agent-77'), answered.actions, 'actions(shard) while owned');
    assert.equal(a.r.actions('nope'), undefined);
    assert.equal(acct.login.logins, 1);

    stop.next();
    await a.done;
    const released = a.changes.find((c) => c.change === 'released');
    assert.equal(released?.reason, 'handoff', JSON.stringify(a.changes));
    assert.equal(released.logoutsSeen, 1, 'the login logged out before the lease was released');
    assert.equal(a.r.actions('agent-77'), undefined, 'not owned any more');
    await assert.rejects(answered.actions!.send(answered.event, { text: 'answer to a late handler' }), (e) =>
      isChatshiftError(e, 'ERR_LEASE_LOST'),
    );
    await assert.rejects(answered.actions!.typing(answered.event, true), (e) =>
      isChatshiftError(e, 'ERR_LEASE_LOST'),
    );
    assert.equal(agentLines(conv).length, 1, 'nothing sent after the ownership');
    // No refresh after the logout: the session's timers ended with it.
    const requests = acct.login.requests.length;
    await sleep(REFRESH_MS * 3);
    assert.equal(acct.login.requests.length, requests, 'no login request after the ownership');
  });

  it('hands the agent over between instances with one login at a time: the old owner never logs the new one out', async () => {
    const run = async (prefix: string) => {
      const sessions: LoginSession[] = [];
      const openedBefore = acct.messaging.connectionsOpened;
      const stopA = new Subject<void>();
      const stopB = new Subject<void>();
      const a = runner('a', [shard(sessions)], stopA, prefix);
      await waitFor(() => a.changes.some((c) => c.change === 'owned'), 'a owns the shard', WAIT);
      await waitFor(() => acct.messaging.connectionCount === 1, "a's socket", WAIT);
      const b = runner('b', [shard(sessions)], stopB, prefix);
      stopA.next(); // a leaves: b takes the shard over by handoff
      await a.done;
      await waitFor(() => b.changes.some((c) => c.change === 'owned'), 'b owns the shard', WAIT);
      await waitFor(() => acct.messaging.connectionCount === 1 && sessions.length === 2, "b's socket", WAIT);
      const loginsAtHandoff = acct.login.logins;
      await sleep(REFRESH_MS * 6);
      const oldClosed = await sessions[0]!.bearer().then(
        () => false,
        (e: unknown) => isChatshiftError(e, 'ERR_SESSION_CLOSED'),
      );
      const result = {
        logins: acct.login.logins - loginsAtHandoff,
        opened: acct.messaging.connectionsOpened - openedBefore,
        oldClosed,
      };
      stopB.next();
      await b.done;
      for (const s of sessions) await s.close();
      return result;
    };
    const withDispose = await run('sess2');
    // b's login stays the one: no further login by either instance, b's socket stays up.
    assert.equal(withDispose.logins, 0, JSON.stringify(withDispose));
    assert.equal(withDispose.opened, 2, JSON.stringify(withDispose));
    assert.equal(withDispose.oldClosed, true, "a's login was closed with its ownership");
    assert.ok(
      acct.login.requests.some((q) => q.route === 'logout'),
      'the owners logged out',
    );
  });
});
