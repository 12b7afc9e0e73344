import assert from 'node:assert/strict';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { ConversationEventCodec, type ConversationEvent } from '../../../src/model/event.js';
import { recordingStore } from '../../support/stores.js';
import { collect, simulatorPerTest, sourceFor } from './support.js';
import { sleep, waitFor } from '../../support/wait.js';

const messages = (events: ConversationEvent[]) => events.filter((e) => e.type === 'message');

// production-behaviour.md M1: a conversation can have several dialogs (MAIN, then e.g. a
// POST_SURVEY or bot dialog with its own dialogId and sequences).
describe('messagingSource follows every dialog of a conversation (M1)', () => {
  let sim: MessagingSimulator;
  simulatorPerTest((s) => (sim = s));

  it('delivers a survey dialog with its own ids, dialogId and order, and closes the conversation after it', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'main 1');
    const c = collect(sourceFor(sim));
    await waitFor(() => messages(c.events).length === 1, 'the main message');
    const survey = sim.openDialog(conv);
    sim.closeDialog(conv, conv); // the MAIN dialog closes: the survey runs
    for (let i = 1; i <= 3; i++) sim.consumerSays(conv, `survey ${i}`, { dialogId: survey });
    sim.agentSays(conv, 'main after?'); // the main dialog's own sequence goes on separately
    sim.closeDialog(conv, survey);
    await waitFor(() => c.events.some((e) => e.type === 'state' && e.state === 'closed'), 'closed', 3_000);
    await sleep(50);
    const inSurvey = messages(c.events).filter((e) => e.dialogId === survey);
    assert.deepEqual(
      inSurvey.map((e) => [e.id, e.seq, e.text]),
      [1, 2, 3].map((n) => [`messaging:${conv}:${survey}:${n}`, n, `survey ${n}`]),
    );
    const main = messages(c.events).filter((e) => e.dialogId === undefined);
    assert.deepEqual(
      main.map((e) => [e.id, e.seq]),
      [
        [`messaging:${conv}:1`, 1],
        [`messaging:${conv}:2`, 2],
      ],
    );
    const closedAt = c.events.findIndex((e) => e.type === 'state' && e.state === 'closed');
    assert.equal(closedAt, c.events.length - 1, 'closed comes after every dialog’s messages');
    for (const e of c.events) assert.ok(ConversationEventCodec.is(e), JSON.stringify(e));
    const ids = c.events.map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('keeps a cursor per dialog in the checkpoint: a restart mid-survey repeats nothing and loses nothing', async () => {
    const conv = sim.openConversation();
    sim.consumerSays(conv, 'main 1');
    const survey = sim.openDialog(conv);
    sim.consumerSays(conv, 'survey 1', { dialogId: survey });
    sim.consumerSays(conv, 'survey 2', { dialogId: survey });
    const store = recordingStore();
    const first = collect(sourceFor(sim, { checkpoint: store }));
    await waitFor(() => messages(first.events).length === 3, 'first run');
    first.sub.unsubscribe();
    await waitFor(() => store.checkpoint('messaging', survey)?.seq === 2, 'the survey cursor saved');
    sim.consumerSays(conv, 'survey 3', { dialogId: survey });
    sim.consumerSays(conv, 'main 2');
    const second = collect(sourceFor(sim, { checkpoint: store }));
    await waitFor(() => messages(second.events).length === 2, 'second run');
    await sleep(100);
    assert.deepEqual(
      messages(second.events)
        .map((e) => e.text)
        .sort(),
      ['main 2', 'survey 3'],
    );
  });
});
