import { createServer, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A loopback server that answers every WebSocket upgrade with a plain HTTP status. */
export interface RefusingUpgradeServer {
  /** `127.0.0.1:port`, for a source's `domain`. */
  readonly domain: string;
  /** Upgrade requests answered so far. */
  readonly upgrades: number;
  /** TCP connections still open: the server never closes one first, so only the client's cleanup does. */
  readonly openConnections: number;
  close(): Promise<void>;
}

/**
 * Answers each upgrade with `status` and a small keep-alive body and leaves the connection open,
 * as a proxy or load balancer might: a client that does not abort the request and destroy the
 * response leaks the socket, which `openConnections` shows.
 */
export async function refusingUpgradeServer(status: number): Promise<RefusingUpgradeServer> {
  const server = createServer();
  const sockets = new Set<Socket>();
  let upgrades = 0;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (_req, socket) => {
    upgrades++;
    // The server half-closes after the client does (http servers allow half-open sockets).
    socket.on('end', () => socket.end());
    const body = `${status} ${STATUS_CODES[status] ?? ''}`;
    socket.write(
      `HTTP/1.1 ${body}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: keep-alive\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    domain: `127.0.0.1:${port}`,
    get upgrades() {
      return upgrades;
    },
    get openConnections() {
      return sockets.size;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
