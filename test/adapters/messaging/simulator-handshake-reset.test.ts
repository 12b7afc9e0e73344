import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { MessagingSimulator } from '../../../adapters/messaging/index.js';
import { waitFor } from '../../support/wait.js';

// A client that gives up on a stalled or refused handshake resets its connection: the simulator
// sees ECONNRESET on a socket Node's HTTP server no longer watches after 'upgrade'. Found as an
// uncaught `read ECONNRESET` that failed a cutover fault run (seed 2517508950).
describe('MessagingSimulator: a client resetting its handshake', () => {
  for (const handshake of ['stall', 401] as const) {
    it(`survives a reset of a ${handshake === 'stall' ? 'stalled' : 'refused (401)'} handshake`, async () => {
      const sim = await MessagingSimulator.start({ frameLog: false });
      const uncaught: unknown[] = [];
      const record = (e: unknown): void => void uncaught.push(e);
      process.prependListener('uncaughtException', record);
      try {
        sim.configure({ handshake });
        const url = new URL(`http://${sim.domain}`);
        const socket = connect(Number(url.port), url.hostname);
        let closed = false;
        socket.on('error', () => undefined);
        socket.on('close', () => (closed = true));
        socket.write(
          `GET /ws_api/account/${sim.accountId}/messaging/brand/token?v=3 HTTP/1.1\r\n` +
            `Host: ${sim.domain}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
        socket.resetAndDestroy();
        await waitFor(() => closed, 'the client socket closed');
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.deepEqual(uncaught, []);
      } finally {
        process.removeListener('uncaughtException', record);
        await sim.close();
      }
    });
  }
});
