import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import WebSocket, { WebSocketServer } from 'ws';
import { guardedDispatcher, guardedWebSocket } from '../../../adapters/redis/guarded-io.js';
import type { WebSocketConstructor } from '../../../adapters/messaging/websocket.js';
import { isChatshiftError } from '../../../src/errors.js';
import { waitFor } from '../../support/wait.js';

// The lease guard where bytes leave: a fenced owner's request or frame never reaches the server,
// whatever code path (timer or not) tried to send it.
describe('lease-guarded I/O (the dispatcher and the WebSocket a shard gets)', () => {
  let http: Server;
  let wss: WebSocketServer;
  let requests = 0;
  const frames: string[] = [];
  let connections = 0;
  const agent = new Agent();
  before(async () => {
    http = createServer((_req, res) => {
      requests++;
      res.end('ok');
    });
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    const listening = new Promise<void>((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      connections++;
      ws.on('message', (d: Buffer) => frames.push(d.toString()));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    await listening;
  });
  after(async () => {
    await agent.close();
    await new Promise<void>((r) => http.close(() => r()));
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  });

  it('sends a request while the lease holds and refuses it with ERR_LEASE_LOST, unsent, once it does not', async () => {
    let held = true;
    const d = guardedDispatcher('agent-01', () => held, agent);
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    const ok = await request(url, { dispatcher: d });
    assert.equal(await ok.body.text(), 'ok');
    held = false;
    const refused = await request(url, { dispatcher: d }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(isChatshiftError(refused, 'ERR_LEASE_LOST'), String(refused));
    assert.match((refused as Error).message, /agent-01/);
    assert.equal(requests, 1, 'the refused request never reached the server');
  });

  it('opens a socket and sends frames while the lease holds; past it, a frame terminates the socket unsent and no socket opens', async () => {
    let held = true;
    const Ws = guardedWebSocket('agent-02', () => held, WebSocket as unknown as WebSocketConstructor);
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    const ws = new Ws(url, { maxPayload: 1 << 20, perMessageDeflate: false });
    await new Promise<void>((r) => ws.on('open', r));
    ws.send('before');
    await waitFor(() => frames.length === 1, 'the first frame');
    held = false;
    const closed = new Promise<void>((r) => ws.on('close', () => r()));
    ws.send('after');
    await closed;
    assert.deepEqual(frames, ['before']);
    const before = connections;
    assert.throws(
      () => new Ws(url, { maxPayload: 1 << 20, perMessageDeflate: false }),
      (e: unknown) => isChatshiftError(e, 'ERR_LEASE_LOST'),
    );
    assert.equal(connections, before, 'no socket opened');
  });
});
