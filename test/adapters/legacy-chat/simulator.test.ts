/* eslint-disable @typescript-eslint/no-explicit-any -- raw wire bodies, read field by field */
import assert from 'node:assert/strict';
import { request } from 'undici';
import { LegacyChatSimulator } from '../../../adapters/legacy-chat/index.js';

// The strict simulator reproduces what production does when reading (production-behaviour.md §1, §3):
// production is the default, each undocumented variant a switch. Raw HTTP, no chatshift code.
describe('LegacyChatSimulator production behaviour (reading)', () => {
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start();
  });
  afterEach(async () => {
    await sim.close();
  });

  const call = async (method: 'GET' | 'POST', url: string, headers: Record<string, string> = {}) => {
    const res = await request(url, {
      method,
      headers: { authorization: 'Bearer sim-bearer', ...headers },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      headers: res.headers,
      body: text === '' ? undefined : (JSON.parse(text) as any),
    };
  };
  const multi = (keys: string[]) =>
    `${sim.agentSessionUrl}/chat?chatSessionKeys=${keys.join(',')}&v=1&NC=true`;
  const incoming = () => `${sim.agentSessionUrl}/incomingRequests?v=1&NC=true`;
  const events = (body: any): any[] => {
    const list = body.chats.chat.events.event;
    return Array.isArray(list) ? list : [list];
  };

  it('answers 404 to the whole multi-chat request when one key is unknown (L1); the omit switch leaves it out', async () => {
    const known = sim.openConversation();
    const gone = sim.openConversation();
    sim.chatLeaves(gone);
    assert.equal((await call('GET', multi([known, gone]))).status, 404);
    assert.equal((await call('GET', multi([known]))).status, 200);
    sim.configure({ unknownChatKey: 'omit' });
    const r = await call('GET', multi([known, gone]));
    assert.equal(r.status, 200);
    assert.equal(r.body.chats.chat.info.chatSessionKey, known);
  });

  it('treats a ringing chat as unknown in a multi-chat request (it is not the agent’s yet)', async () => {
    const ringing = sim.openConversation({ waiting: true });
    assert.equal((await call('GET', multi([ringing]))).status, 404);
  });

  it('renders lines with textType rich-content, json and url, and agent-only ONLY_TO_REP notes (L4, L8)', async () => {
    const key = sim.openConversation();
    sim.agentSays(key, 'card', { format: 'rich', json: { type: 'vertical' } });
    sim.agentSays(key, 'json card', { textType: 'json', json: { type: 'vertical' } });
    sim.agentSays(key, 'https://example.com', { textType: 'url' });
    sim.agentSays(key, 'note to agents', { private: true });
    sim.addEvent(key, 'line', { text: 'no source', omitFields: ['source'] });
    const ev = events((await call('GET', multi([key]))).body);
    assert.deepEqual(
      ev.slice(4).map((e) => [e.textType, e.subType]),
      [
        ['rich-content', 'REGULAR'],
        ['json', 'REGULAR'],
        ['url', 'REGULAR'],
        ['plain', 'ONLY_TO_REP'],
        ['plain', 'REGULAR'],
      ],
    );
    assert.deepEqual(ev[4].json, { type: 'vertical' });
    assert.equal('source' in ev[8], false);
  });

  it('renders events of other @types (url, a2a-transfer)', async () => {
    const key = sim.openConversation();
    sim.addEvent(key, 'url', { text: 'https://example.com' });
    sim.addEvent(key, 'a2a-transfer');
    const ev = events((await call('GET', multi([key]))).body);
    assert.deepEqual(
      ev.slice(4).map((e) => e['@type']),
      ['url', 'a2a-transfer'],
    );
  });

  it('answers an accept with nothing ringing any more with 404, or 409 with the switch (the accept race)', async () => {
    sim.openConversation({ waiting: true });
    const ring = await call('GET', incoming());
    assert.equal(ring.body.incomingRequests.ringingCount, '1');
    sim.faults.queue({ route: 'accept', race: true });
    assert.equal((await call('POST', incoming())).status, 404);
    sim.assertNoPendingFaults();
    sim.openConversation({ waiting: true });
    sim.configure({ acceptRaceStatus: 409 });
    sim.faults.queue({ route: 'accept', race: true });
    assert.equal((await call('POST', incoming())).status, 409);
  });

  it('gives the accept link in incomingRequests.link[@href]; with acceptLink distinct only that link accepts (L9)', async () => {
    const key = sim.openConversation({ waiting: true });
    sim.configure({ acceptLink: 'distinct' });
    const ring = await call('GET', incoming());
    const href: string = ring.body.incomingRequests.link['@href'];
    assert.equal(href, `${sim.agentSessionUrl}/incomingRequests/next`);
    assert.equal((await call('POST', incoming())).status, 405);
    const accepted = await call('POST', href);
    assert.equal(accepted.status, 201);
    assert.match(accepted.body.chatLocation.link['@href'], new RegExp(`/chat/${key}$`));
    assert.equal((await call('GET', incoming())).body.incomingRequests.link, undefined);
  });

  it('sets a cookie for the agent session on every answer; with cookies required, refuses requests without it (L3)', async () => {
    const key = sim.openConversation();
    const first = await call('GET', multi([key]));
    const setCookie = String(first.headers['set-cookie']);
    assert.match(setCookie, /^LPAgentSession=s-1\.[^;]+; Path=\/api\/account\/1234\/agentSession\/s-1/);
    const cookie = setCookie.split(';')[0] as string;
    sim.configure({ cookies: 'required' });
    assert.equal((await call('GET', multi([key]))).status, 401);
    assert.equal((await call('GET', multi([key]), { cookie })).status, 200);
    assert.equal(sim.requests.at(-1)?.cookie, cookie);
  });

  it('gives info.chatTimeout (40 s by default, a switch) (L6)', async () => {
    const key = sim.openConversation();
    assert.equal((await call('GET', multi([key]))).body.chats.chat.info.chatTimeout, 40);
    sim.configure({ chatTimeoutSeconds: 2 });
    assert.equal((await call('GET', multi([key]))).body.chats.chat.info.chatTimeout, 2);
  });
});
