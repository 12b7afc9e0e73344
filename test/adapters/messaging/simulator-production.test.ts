import assert from 'node:assert/strict';
import WebSocket from 'ws';
import type { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { simulatorPerTest } from './support.js';
import { sleep, waitFor } from '../../support/wait.js';

/** A raw client of the simulator: one socket, requests by hand, every frame kept. */
async function rawClient(sim: MessagingSimulator, token = sim.token) {
  const ws = new WebSocket(
    `ws://${sim.domain}/ws_api/account/${sim.accountId}/messaging/brand/${token}?v=2.1`,
  );
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (d: Buffer) => frames.push(JSON.parse(d.toString('utf8')) as Record<string, unknown>));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let n = 0;
  const send = (type: string, body: object): string => {
    const id = `r-${++n}`;
    ws.send(JSON.stringify({ kind: 'req', id, type, body }));
    return id;
  };
  const answer = async (id: string) => {
    await waitFor(() => frames.some((f) => f['reqId'] === id), `answer to ${id}`);
    return frames.find((f) => f['reqId'] === id) as { code: number; body: unknown };
  };
  const live = () =>
    frames
      .filter((f) => f['type'] === '.ams.ms.OnlineEventDistribution')
      .map((f) => f['body'] as Record<string, unknown>);
  const changes = () =>
    frames
      .filter((f) => f['type'] === '.ams.aam.ExConversationChangeNotification')
      .flatMap((f) => (f['body'] as { changes: Array<{ result: { convId: string } }> }).changes);
  return { ws, frames, send, answer, live, changes };
}

describe('MessagingSimulator: production behaviours (production-behaviour.md §3)', () => {
  let sim: MessagingSimulator;
  const clients: WebSocket[] = [];
  simulatorPerTest((s) => (sim = s));
  afterEach(() => {
    for (const ws of clients.splice(0)) ws.terminate();
  });
  const client = async (token?: string) => {
    const c = await rawClient(sim, token);
    clients.push(c.ws);
    return c;
  };

  it('counts a subscription as answered only once its answer frame left (a delayed one closed first is not)', async () => {
    const c = await client();
    sim.configure({ delayMs: 100 });
    c.send('.ams.aam.SubscribeExConversations', { convState: ['OPEN'] });
    await sleep(20);
    sim.closeConnections(4401);
    await sleep(150);
    assert.equal(sim.subscriptionsAnswered, 0);
    sim.configure({ delayMs: 0 });
    const d = await client();
    await d.answer(d.send('.ams.aam.SubscribeExConversations', { convState: ['OPEN'] }));
    assert.equal(sim.subscriptionsAnswered, 1);
  });
});
