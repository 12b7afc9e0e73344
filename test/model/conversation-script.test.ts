import assert from 'node:assert/strict';
import type { Observable } from 'rxjs';
import {
  LegacyChatSimulator,
  legacyChatSource,
  type LegacyChatFault,
  type LegacyChatSimulatorSwitches,
} from '../../adapters/legacy-chat/index.js';
import {
  MessagingSimulator,
  messagingSource,
  type MessagingFault,
  type MessagingSimulatorSwitches,
} from '../../adapters/messaging/index.js';
import type { ConversationScript, SimulatorFaultControls } from '../../src/model/conversation-script.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { Recorder } from '../support/recorder.js';
import { project } from '../parity/script.js';

/** A simulator under the conformance suite, with what the suite cannot say in the shared vocabulary. */
interface Harness<F, S> {
  sim: ConversationScript & SimulatorFaultControls<F, S> & { close(): Promise<void> };
  /** A source following `conversationId`, pointed at the simulator by its `clientOptions()`. */
  follow(conversationId: string): Observable<ConversationEvent>;
  /** A one-shot fault that a source's ordinary traffic triggers and recovers from. */
  fault: F;
  /** A switch change away from the simulator's starting switches. */
  switches: Partial<S>;
  /** What the simulator holds of a conversation, through its public getter. */
  held(conversationId: string): unknown[];
}

function behavesAsAConversationScript<F, S>(make: () => Promise<Harness<F, S>>): void {
  let h: Harness<F, S>;
  let rec: Recorder | undefined;
  beforeEach(async () => (h = await make()));
  afterEach(async () => {
    rec?.subscription.unsubscribe();
    rec = undefined;
    await h.sim.close();
  });

  /** Plays `step`, then waits for the event it must produce. */
  const expect = async (step: () => unknown, projection: string) => {
    const n = rec!.events.filter((e) => project(e) === projection).length;
    step();
    await rec!.waitFor(
      () => rec!.events.filter((e) => project(e) === projection).length > n,
      5000,
      projection,
    );
  };

  it('plays open, both sides talking and typing, and close as normalized events', async () => {
    const { sim } = h;
    const id = sim.openConversation();
    rec = new Recorder(h.follow(id));
    await rec.waitFor(() => rec!.events.some((e) => project(e) === 'state open'), 5000, 'state open');
    await expect(() => sim.consumerSays(id, 'hello'), 'message consumer plain "hello"');
    await expect(() => sim.typing(id, { who: 'consumer', on: true }), 'typing consumer true');
    await expect(() => sim.typing(id, { on: false }), 'typing consumer false');
    await expect(() => sim.typing(id, { who: 'agent' }), 'typing agent true');
    await expect(() => sim.typing(id, { who: 'agent', on: false }), 'typing agent false');
    await expect(() => sim.agentSays(id, 'plain reply'), 'message agent plain "plain reply"');
    await expect(
      () => sim.agentSays(id, '<b>bold</b>', { format: 'html' }),
      'message agent html "<b>bold</b>"',
    );
    await expect(() => sim.closeConversation(id), 'state closed');
    assert.ok(rec.events.every((e) => e.conversationId === id));
    assert.equal(rec.error, undefined);
  });

  it('opens with the id given, and numbers messages in increasing order', async () => {
    const { sim } = h;
    assert.equal(sim.openConversation({ id: 'given-1' }), 'given-1');
    const generated = sim.openConversation();
    assert.notEqual(generated, 'given-1');
    const a = sim.consumerSays('given-1', 'one');
    const b = sim.agentSays('given-1', 'two');
    const c = sim.consumerSays('given-1', 'three');
    assert.ok(a < b && b < c, `${a} < ${b} < ${c}`);
    assert.throws(() => sim.openConversation({ id: 'given-1' }), /given-1/);
  });

  it('hands out copies: changing what a getter returned changes nothing in the simulator', () => {
    const { sim } = h;
    const id = sim.openConversation();
    sim.consumerSays(id, 'kept');
    const held = h.held(id);
    const before = JSON.stringify(held);
    held.length = 0;
    assert.equal(JSON.stringify(h.held(id)), before);
    const switches = sim.switches as Record<string, unknown>;
    assert.throws(() => (switches['anything'] = 1));
  });

  it('fires a queued fault on `times` requests, then reports nothing pending', async () => {
    const { sim } = h;
    const id = sim.openConversation();
    sim.faults.queue(h.fault, { times: 2 });
    assert.deepEqual(sim.faults.pending(), [{ fault: h.fault, times: 2 }]);
    assert.throws(
      () => sim.assertNoPendingFaults(),
      (e: Error) => e.message.includes('never fired') && e.message.includes(JSON.stringify(h.fault)),
    );
    rec = new Recorder(h.follow(id));
    await rec.waitFor(() => rec!.events.some((e) => project(e) === 'state open'), 5000, 'state open');
    let said = 0;
    while (sim.faults.pending().length > 0) {
      sim.consumerSays(id, `m${said++}`);
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(said < 200, 'the fault fired');
    }
    sim.assertNoPendingFaults();
    sim.consumerSays(id, `m${said++}`);
    // The source recovered from it: every message arrives.
    await rec.waitFor(
      () => rec!.events.filter((e) => e.type === 'message' && e.from.role === 'consumer').length === said,
      5000,
      `${said} messages`,
    );
  });

  it('keeps switches until clearFaults returns to the starting ones, and drops queued faults', () => {
    const { sim } = h;
    const start = sim.switches;
    sim.configure(h.switches);
    assert.deepEqual(sim.switches, { ...start, ...h.switches });
    assert.notDeepEqual(sim.switches, start);
    sim.faults.queue(h.fault);
    sim.clearFaults();
    assert.deepEqual(sim.switches, start);
    assert.deepEqual(sim.faults.pending(), []);
    sim.assertNoPendingFaults();
  });

  it('accepts only a positive whole number of times', () => {
    for (const times of [0, -1, 1.5]) assert.throws(() => h.sim.faults.queue(h.fault, { times }), RangeError);
  });
}

describe('ConversationScript: LegacyChatSimulator', () =>
  behavesAsAConversationScript<LegacyChatFault, LegacyChatSimulatorSwitches>(async () => {
    const sim = await LegacyChatSimulator.start({ bearer: 'conformance-bearer' });
    return {
      sim,
      follow: (id) =>
        legacyChatSource({
          ...sim.clientOptions(),
          chats: [id],
          pollIntervalMs: 10,
          backoff: { initialMs: 5 },
        }),
      fault: { status: 503 },
      switches: { chatOrder: 'reversed', maxChatKeys: 3 },
      held: (id) => sim.chat(id).events,
    };
  }));

describe('ConversationScript: MessagingSimulator', () =>
  behavesAsAConversationScript<MessagingFault, MessagingSimulatorSwitches>(async () => {
    const sim = await MessagingSimulator.start({ tokens: ['conformance-token'] });
    return {
      sim,
      follow: () =>
        messagingSource({
          ...sim.clientOptions(),
          agentId: sim.agentId,
          backoff: { initialMs: 5, maxMs: 20 },
        }),
      fault: { notification: 'drop' },
      switches: { delayMs: 1, duplicateNotifications: true },
      held: (id) => sim.history(id),
    };
  }));
