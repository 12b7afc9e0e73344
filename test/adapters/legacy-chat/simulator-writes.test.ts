import assert from 'node:assert/strict';
import { LegacyChatSimulator } from '../../../adapters/legacy-chat/index.js';

// The legacy simulator's write paths by raw HTTP, as production answers them (production-behaviour.md §2–3).
describe('LegacyChatSimulator write paths', () => {
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start();
  });
  afterEach(() => sim.close());
  const req = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${sim.agentSessionUrl}${path}?v=1&NC=true`, {
      method,
      headers: { authorization: 'Bearer sim-bearer', 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const PUT = { 'x-http-method-override': 'PUT' };

  it('stores posted lines with their textType, json and ONLY_TO_REP subType, answering 201 with the event location', async () => {
    const key = sim.openConversation();
    const r = await req('POST', `/chat/${key}/events`, {
      event: {
        '@type': 'line',
        text: 'card',
        textType: 'rich-content',
        json: { a: 1 },
        subType: 'ONLY_TO_REP',
      },
    });
    assert.equal(r.status, 201);
    const line = sim.agentLines(key).at(-1);
    assert.deepEqual([line?.textType, line?.json, line?.subType], ['rich-content', { a: 1 }, 'ONLY_TO_REP']);
    assert.match(JSON.stringify(r.body), new RegExp(`/events/${line?.id}"`));
  });

  it('refuses html with a script, and any write to an ended chat, with 400', async () => {
    const key = sim.openConversation();
    const bad = await req('POST', `/chat/${key}/events`, {
      event: { '@type': 'line', text: '<script>x</script>', textType: 'html' },
    });
    assert.equal(bad.status, 400);
    sim.closeConversation(key);
    assert.equal(
      (await req('POST', `/chat/${key}/events`, { event: { '@type': 'line', text: 'x' } })).status,
      400,
    );
    assert.equal(
      (await req('POST', `/chat/${key}/info/agentTyping`, { agentTyping: 'typing' }, PUT)).status,
      400,
    );
  });

  it('answers the typing override with 201 and the value set', async () => {
    const key = sim.openConversation();
    const r = await req('POST', `/chat/${key}/info/agentTyping`, { agentTyping: 'typing' }, PUT);
    assert.deepEqual([r.status, r.body], [201, { agentTyping: 'typing' }]);
    assert.equal(sim.chat(key).agentTyping, true);
  });

  it('lists only skills with agents online; a transfer to another skill is refused, an accepted one takes the chat away', async () => {
    const key = sim.openConversation();
    const list = await req('GET', `/chat/${key}/transfer`);
    assert.deepEqual(list.body, { transfer: { skill: [{ id: '10', name: 'Sales', onlineAgents: '2' }] } });
    assert.equal(
      (await req('POST', `/chat/${key}/transfer`, { transfer: { skill: { id: 11 } } })).status,
      400,
    );
    sim.setSkillAgents(11, 1);
    assert.equal(
      (await req('POST', `/chat/${key}/transfer`, { transfer: { skill: { id: 11 }, agent: { id: 3 } } }))
        .status,
      200,
    );
    assert.deepEqual(
      sim.transfers,
      [{ chatSessionKey: key, agentId: 3 }],
      'the agent wins when both are given',
    );
    assert.equal(
      (await req('POST', `/chat/${key}/events`, { event: { '@type': 'line', text: 'x' } })).status,
      404,
    );
  });

  it('sets and reads the availability; a bad value is 400', async () => {
    assert.equal((await req('POST', '/availability', { availability: { chat: 'Away' } }, PUT)).status, 200);
    assert.deepEqual((await req('GET', '/availability')).body, { availability: { chat: 'Away' } });
    assert.equal((await req('POST', '/availability', { availability: { chat: 'Busy' } }, PUT)).status, 400);
    assert.equal(sim.availability, 'Away');
  });

  it('commit-then-drop: the write is applied, then the connection is reset', async () => {
    const key = sim.openConversation();
    sim.faults.queue({ route: 'events', commitThenDrop: 'reset' });
    await assert.rejects(req('POST', `/chat/${key}/events`, { event: { '@type': 'line', text: 'applied' } }));
    assert.equal(sim.agentLines(key).filter((e) => e.text === 'applied').length, 1);
    sim.assertNoPendingFaults();
  });
});
