/**
 * Testing an integration against the simulators: the CRM bridge and the triage bot run on both
 * LivePerson APIs at once (real loopback servers), the test scripts conversations, waits until the
 * CRM has settled, and asserts what was written. Run with `node --test`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { memoryCheckpointStore } from 'chatshift';
import { legacyChat, LegacyChatSimulator } from 'chatshift/legacy-chat';
import { messaging, MessagingSimulator } from 'chatshift/messaging';
import { crmBridge, type Crm, type CrmNote } from './crm-bridge.js';
import { triage, type TriageDecision } from './triage-bot.js';

/** An in-memory CRM, idempotent by note id as the real one must be. */
class MemoryCrm implements Crm {
  readonly notes = new Map<string, CrmNote[]>();
  readonly closed = new Set<string>();
  async appendNote(caseId: string, note: CrmNote): Promise<void> {
    const notes = this.notes.get(caseId) ?? [];
    if (!notes.some((n) => n.id === note.id)) notes.push(note);
    this.notes.set(caseId, notes);
  }
  async closeCase(caseId: string): Promise<void> {
    this.closed.add(caseId);
  }
}

/** Waits until `settled()` holds (polling, never a fixed sleep), or fails saying what it waited for. */
async function until(settled: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!settled()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the CRM bridge and the triage bot on both simulators', () => {
  let legacySim: LegacyChatSimulator;
  let messagingSim: MessagingSimulator;

  before(async () => {
    legacySim = await LegacyChatSimulator.start();
    messagingSim = await MessagingSimulator.start();
  });

  after(async () => {
    await legacySim.close();
    await messagingSim.close();
  });

  const backends = () => ({
    // Short poll interval and backoff: the test's timers, compressed.
    legacy: legacyChat({
      ...legacySim.clientOptions(),
      acceptIncoming: true,
      pollIntervalMs: 20,
      backoff: { initialMs: 10, maxMs: 50 },
    }),
    messaging: messaging({ ...messagingSim.clientOptions(), backoff: { initialMs: 10, maxMs: 50 } }),
  });

  it('writes every visible message to its case and closes the case, through a 503 on the way', async () => {
    const crm = new MemoryCrm();
    const sub = crmBridge({
      backend: 'both',
      ...backends(),
      checkpoint: memoryCheckpointStore(),
      crm,
    }).subscribe({ error: (e: unknown) => assert.fail(String(e)) });

    // One poll fails; the bridge must still deliver everything.
    legacySim.faults.queue({ status: 503 });
    const chat = legacySim.openConversation({ waiting: true });
    legacySim.consumerSays(chat, 'my order is late');
    const conv = messagingSim.openConversation();
    messagingSim.consumerSays(conv, 'hello from messaging');
    messagingSim.agentSays(conv, 'checking now');
    messagingSim.agentSays(conv, 'internal: VIP customer', { audience: 'agents' });

    const legacyCase = `legacy-chat/${chat}`;
    const messagingCase = `messaging/${conv}`;
    await until(() => (crm.notes.get(messagingCase)?.length ?? 0) >= 2, 'the messaging notes');
    await until(
      () => (crm.notes.get(legacyCase) ?? []).some((n) => n.text === 'my order is late'),
      'the legacy note',
    );
    legacySim.closeConversation(chat);
    messagingSim.closeConversation(conv);
    await until(() => crm.closed.has(legacyCase) && crm.closed.has(messagingCase), 'both cases closed');
    sub.unsubscribe();

    assert.deepEqual(
      crm.notes.get(messagingCase)?.map((n) => n.text),
      ['hello from messaging', 'checking now'],
      'the agents-only note stays out of the case',
    );
    const legacyTexts = (crm.notes.get(legacyCase) ?? []).map((n) => n.text);
    assert.equal(legacyTexts.filter((t) => t === 'my order is late').length, 1);
    // The queued 503 was served: the test exercised the retry it meant to.
    legacySim.assertNoPendingFaults();
    messagingSim.assertNoPendingFaults();
    // Strict: the bridge sent nothing the simulators do not serve.
    legacySim.assertNoUnexpectedRequests();
    messagingSim.assertNoUnexpectedRequests();
  });

  it('greets once per conversation and escalates on a refund request', async () => {
    const crm = new MemoryCrm();
    const decisions: TriageDecision[] = [];
    const sub = crmBridge({
      backend: 'messaging',
      messaging: backends().messaging,
      checkpoint: memoryCheckpointStore(),
      crm,
    })
      .pipe(triage())
      .subscribe((d) => decisions.push(d));
    // A conversation that opens and closes before the subscription is answered is never seen
    // (as in production): wait until the backend is listening.
    const answered = messagingSim.subscriptionsAnswered;
    await until(() => messagingSim.subscriptionsAnswered > answered, 'the subscription');

    const conv = messagingSim.openConversation({ consumerId: 'cons-bot' });
    messagingSim.consumerSays(conv, 'hi');
    messagingSim.consumerSays(conv, 'are you there?');
    messagingSim.consumerSays(conv, 'I want a REFUND please');
    messagingSim.closeConversation(conv);
    await until(() => crm.closed.has(`messaging/${conv}`), 'the conversation closed');
    sub.unsubscribe();

    assert.deepEqual(
      decisions.filter((d) => d.conversationId === conv).map((d) => d.kind),
      ['greet', 'escalate'],
    );
    messagingSim.assertNoPendingFaults();
    messagingSim.assertNoUnexpectedRequests();
  });
});
