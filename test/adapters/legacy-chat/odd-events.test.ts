import assert from 'node:assert/strict';
import { counterMetrics } from '../../../src/runtime/metrics.js';
import { ConversationEventCodec } from '../../../src/model/event.js';
import type { MessageEvent } from '../../../src/model/event.js';
import { LegacyChatSimulator, legacyChatSource } from '../../../adapters/legacy-chat/index.js';
import { collect, fast, seqsOf } from './helpers.js';
import { recordingLogger } from '../../support/logger.js';
import { sleep, waitFor } from '../../support/wait.js';

// production-behaviour.md L4, L8: one odd event never stalls its chat; agent-only notes are marked.
describe('legacyChatSource with the lines production sends', () => {
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('reports and skips a line the decoder rejects (textType url, no source), moves the cursor past it, and delivers the rest', async () => {
    const key = sim.openConversation();
    const logs = recordingLogger();
    const metrics = counterMetrics();
    const run = collect(
      legacyChatSource({ ...sim.clientOptions(), ...fast, chats: [key], logger: logs, metrics }),
    );
    await waitFor(() => seqsOf(run.events, key).length === 4, 'opening');
    sim.consumerSays(key, 'before'); // 4: the valid line just before the odd ones
    const url = sim.agentSays(key, 'https://example.com', { textType: 'url' }); // 5
    const noSource = sim.addEvent(key, 'line', { text: 'who?', textType: 'plain', omitFields: ['source'] }); // 6
    sim.consumerSays(key, 'after'); // 7
    await waitFor(() => seqsOf(run.events, key).includes(7), 'the line after the odd ones');
    const seen = sim.multiChatRequests().length;
    sim.consumerSays(key, 'later'); // 8
    await waitFor(() => seqsOf(run.events, key).includes(8), 'a later line');
    await sleep(60);
    run.sub.unsubscribe();
    assert.equal(run.error, undefined);
    assert.deepEqual(seqsOf(run.events, key), [0, 1, 2, 3, 4, 7, 8]);
    const bad = logs.records.filter((r) => r.fields?.['code'] === 'ERR_SCHEMA_INVALID');
    assert.deepEqual(
      bad.map((r) => String(r.fields?.['paths']).replace(/\/\d+\//g, '/N/')),
      ['chats/chat/N/events/event/N/textType', 'chats/chat/N/events/event/N/source'],
    );
    assert.equal(metrics.snapshot()['items.invalid'], 2);
    // The cursor moved past them: no later request asks for them again.
    const from = sim
      .multiChatRequests()
      .slice(seen)
      .map((r) => Number(r.query['fromEventIds']));
    assert.ok(
      from.every((n) => n > noSource && n > url),
      JSON.stringify(from),
    );
  });

  it('marks ONLY_TO_REP lines audience agents and maps rich-content and json lines to format rich with their text as fallback', async () => {
    const key = sim.openConversation();
    const card = { type: 'vertical', elements: [{ type: 'text', text: 'hi' }] };
    sim.agentSays(key, 'note for agents', { private: true });
    sim.agentSays(key, 'card', { format: 'rich', json: card });
    sim.agentSays(key, 'json card', { textType: 'json', json: card });
    sim.consumerSays(key, 'plain');
    const run = collect(legacyChatSource({ ...sim.clientOptions(), ...fast, chats: [key] }));
    await waitFor(() => seqsOf(run.events, key).length === 8, 'all lines');
    run.sub.unsubscribe();
    const lines = run.events.filter((e): e is MessageEvent => e.type === 'message' && (e.seq ?? 0) >= 4);
    assert.deepEqual(
      lines.map((e) => [e.text, e.format, e.audience, e.content]),
      [
        ['note for agents', 'plain', 'agents', undefined],
        ['card', 'rich', undefined, card],
        ['json card', 'rich', undefined, card],
        ['plain', 'plain', undefined, undefined],
      ],
    );
    for (const e of run.events) assert.equal(ConversationEventCodec.decode(e)._tag, 'Right');
  });
});
