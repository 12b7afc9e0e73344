import assert from 'node:assert/strict';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { legacyChat, LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import { conversationActions, isChatshiftError, type MessageEvent } from '../../src/index.js';
import { recordingLogger } from '../support/logger.js';
import { waitFor } from '../support/wait.js';

describe('conversationActions: legacy-only behaviour', function () {
  this.timeout(20_000);
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start({ bearer: 'SECRET-LEGACY-BEARER' });
  });
  afterEach(() => sim.close());

  it('a 5xx on the POST is unclear: read back, not there, sent exactly once more', async () => {
    const logger = recordingLogger();
    const legacy = legacyChat({ ...sim.clientOptions(), pollIntervalMs: 50, requestTimeoutMs: 300 });
    const actions = conversationActions({ legacy, logger });
    const key = sim.openConversation();
    sim.faults.queue({ route: 'events', status: 503 });
    await actions.send({ backend: 'legacy-chat', conversationId: key }, { text: 'after a 503' });
    assert.equal(sim.agentLines(key).filter((e) => e.text === 'after a 503').length, 1);
    assert.equal(sim.requests.filter((r) => r.route === 'events').length, 2);
    assert.ok(!logger.text().includes('SECRET-LEGACY-BEARER'), 'the bearer never reaches the logs');
  });

  it('the typing override and availability reach the simulator; markRead sends nothing', async () => {
    const legacy = legacyChat({ ...sim.clientOptions(), pollIntervalMs: 50 });
    const actions = conversationActions({ legacy });
    const key = sim.openConversation();
    const ref = { backend: 'legacy-chat' as const, conversationId: key };
    await actions.typing(ref, true);
    assert.equal(sim.chat(key).agentTyping, true);
    const typingReq = sim.requests.find((r) => r.route === 'typing');
    assert.equal(typingReq?.method, 'PUT', 'sent as POST with X-HTTP-Method-Override: PUT');
    await actions.setAvailability('occupied');
    assert.equal(sim.availability, 'Occupied');
    const before = sim.requests.length;
    await actions.markRead(ref, [1, 2]);
    assert.equal(sim.requests.length, before);
  });

  it('an accepted offer is followed by the same backend object’s events', async () => {
    const legacy = legacyChat({ ...sim.clientOptions(), pollIntervalMs: 50 });
    const actions = conversationActions({ legacy });
    const seen: string[] = [];
    const sub = legacy.events().subscribe((e) => seen.push(`${e.conversationId}:${e.type}`));
    const key = sim.openConversation({ waiting: true });
    const offer = await firstValueFrom(actions.offers$);
    assert.equal((await actions.accept(offer)).conversationId, key);
    sim.consumerSays(key, 'now you see me');
    await waitFor(
      () => seen.includes(`${key}:message`),
      () => `events of ${key}: ${seen.join(', ')}`,
    );
    sub.unsubscribe();
  });

  it('an accept whose answer is lost is ERR_OUTCOME_UNKNOWN and is not retried', async () => {
    const legacy = legacyChat({ ...sim.clientOptions(), pollIntervalMs: 50 });
    const actions = conversationActions({ legacy });
    sim.openConversation({ waiting: true });
    sim.openConversation({ waiting: true });
    const offer = await firstValueFrom(actions.offers$);
    sim.faults.queue({ route: 'accept', commitThenDrop: 'reset' });
    await assert.rejects(actions.accept(offer), (e) => isChatshiftError(e, 'ERR_OUTCOME_UNKNOWN'));
    assert.equal(sim.requests.filter((r) => r.route === 'accept').length, 1);
  });
});

describe('conversationActions: messaging-only behaviour', function () {
  this.timeout(20_000);
  let sim: MessagingSimulator;
  beforeEach(async () => {
    sim = await MessagingSimulator.start({ tokens: ['SECRET-MSG-TOKEN'] });
  });
  afterEach(() => sim.close());
  const make = (logger = recordingLogger()) => {
    const msg = messaging({
      ...sim.clientOptions(),
      agentId: sim.agentId,
      requestTimeoutMs: 400,
      backoff: { initialMs: 50 },
      logger,
    });
    return { msg, actions: conversationActions({ messaging: msg }), logger };
  };

  it('sends the clientMessageId as ExternalId; the message event read back carries it', async () => {
    const { msg, actions, logger } = make();
    const conv = sim.openConversation();
    const mine = firstValueFrom(
      msg.events().pipe(filter((e): e is MessageEvent => e.type === 'message' && e.text === 'tagged')),
    );
    await actions.send(
      { backend: 'messaging', conversationId: conv },
      { text: 'tagged' },
      { clientMessageId: 'cm-42' },
    );
    assert.equal(sim.withExternalId(conv, 'cm-42').length, 1);
    assert.equal((await mine).clientMessageId, 'cm-42');
    await actions.dispose();
    assert.ok(!logger.text().includes('SECRET-MSG-TOKEN'));
  });

  it('refuses a conversation the agent is not part of with ERR_NOT_PARTICIPANT', async () => {
    const { actions } = make();
    const conv = sim.openConversation({ agentId: `${sim.accountId}.5` });
    await assert.rejects(actions.send({ backend: 'messaging', conversationId: conv }, { text: 'x' }), (e) =>
      isChatshiftError(e, 'ERR_NOT_PARTICIPANT'),
    );
    await actions.dispose();
  });

  it('closes the main dialog so a survey still runs, or the whole conversation', async () => {
    const { actions } = make();
    const a = sim.openConversation();
    const survey = sim.openDialog(a);
    await actions.close({ backend: 'messaging', conversationId: a });
    assert.equal(sim.dialogIds(a)[0], survey);
    await actions.send({ backend: 'messaging', conversationId: a, dialogId: survey }, { text: 'rate us' });
    const b = sim.openConversation();
    sim.openDialog(b);
    await actions.close({ backend: 'messaging', conversationId: b }, { scope: 'conversation' });
    await assert.rejects(actions.send({ backend: 'messaging', conversationId: b }, { text: 'x' }), (e) =>
      isChatshiftError(e, 'ERR_CONVERSATION_CLOSED'),
    );
    await actions.dispose();
  });

  it('transfers to an agent with SUGGEST; a transfer repeated after a lost answer counts as done', async () => {
    const { actions } = make();
    const a = sim.openConversation();
    await actions.transfer({ backend: 'messaging', conversationId: a }, { agentId: `${sim.accountId}.78` });
    assert.deepEqual(sim.transfers, [{ conversationId: a, agentId: `${sim.accountId}.78` }]);
    const b = sim.openConversation();
    sim.faults.queue({ request: 'UpdateConversationField', commitThenDrop: 'close' });
    await actions.transfer({ backend: 'messaging', conversationId: b }, { skillId: '10' });
    assert.equal(sim.transfers.filter((t) => t.conversationId === b).length, 1);
    await actions.dispose();
  });

  it('rings: each ring once with its expiry; EXPIRED and CANCELLED rings are gone for accept', async () => {
    await sim.close();
    sim = await MessagingSimulator.start({ tokens: ['SECRET-MSG-TOKEN'], ringExpiryMs: 300 });
    const { actions } = make();
    const offers = actions.offers$.pipe(take(2), toArray());
    const got = firstValueFrom(offers);
    const a = sim.openConversation({ waiting: true });
    await waitFor(
      () => sim.requests('.ams.routing.SubscribeRoutingTasks').length === 1,
      'routing subscription',
    );
    sim.consumerSays(a, 'first');
    sim.consumerSays(a, 'second: no second ring');
    const b = sim.openConversation({ waiting: true });
    sim.consumerSays(b, 'hello');
    const [ra, rb] = await got;
    assert.equal(ra?.conversationId, a);
    assert.equal(rb?.conversationId, b);
    sim.takenElsewhere(b);
    await assert.rejects(actions.accept(rb!), (e) => isChatshiftError(e, 'ERR_OFFER_GONE'));
    await waitFor(() => sim.rings.find((r) => r.conversationId === a)?.ringState === 'EXPIRED', 'expiry');
    await assert.rejects(
      actions.accept({ ...ra!, expiresAt: new Date(Date.now() + 1000).toISOString() }),
      (e) => isChatshiftError(e, 'ERR_OFFER_GONE'),
    );
    await actions.setAvailability('online');
    assert.equal(sim.agentState, 'ONLINE');
    await actions.dispose();
  });
});
