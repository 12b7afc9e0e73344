import { getGlobalDispatcher, type Dispatcher } from 'undici';
import WebSocket from 'ws';
import type { WebSocketConstructor, WebSocketLike } from '../../src/runtime/websocket.js';
import { ChatshiftError } from '../../src/errors.js';

// The I/O half of fencing. The lease-guarded scheduler stops the timers of a fenced owner, but
// not the work that follows an answer without a timer: the next request of a poll cycle, a frame
// sent in reply to a notification. After a stall longer than the lease (a SIGSTOP, a long GC, a
// starved CPU) that work can run before any timer, so the check sits where the bytes leave.

const fenced = (shard: string, what: string): ChatshiftError =>
  new ChatshiftError('ERR_LEASE_LOST', `shard ${shard}: ${what} not sent, the lease is no longer held`, {
    details: { shard },
  });

/**
 * `base` (default: undici's global dispatcher) sending a request only while `allowed()` holds;
 * otherwise the request fails with `ERR_LEASE_LOST` before anything is written.
 */
export function guardedDispatcher(
  shard: string,
  allowed: () => boolean,
  base: Dispatcher = getGlobalDispatcher(),
): Dispatcher {
  return base.compose((dispatch) => (opts, handler) => {
    if (!allowed()) throw fenced(shard, `${opts.method} request`);
    return dispatch(opts, handler);
  });
}

/**
 * `base` (default: the `ws` package's WebSocket) opening a socket only while `allowed()` holds
 * (otherwise the constructor throws `ERR_LEASE_LOST`, which the connection treats as a failed
 * attempt) and sending a frame only while it still holds (otherwise the socket is terminated and
 * the frame dropped: the shard is being stopped, its next owner resumes from the checkpoint).
 */
export function guardedWebSocket(
  shard: string,
  allowed: () => boolean,
  base: WebSocketConstructor = WebSocket as unknown as WebSocketConstructor,
): WebSocketConstructor {
  function Guarded(url: string, options: ConstructorParameters<WebSocketConstructor>[1]): WebSocketLike {
    if (!allowed()) throw fenced(shard, 'socket');
    const ws = new base(url, options);
    const send = ws.send.bind(ws);
    Object.defineProperty(ws, 'send', {
      configurable: true,
      value: (data: string): void => {
        if (allowed()) send(data);
        else ws.terminate();
      },
    });
    return ws;
  }
  return Guarded as unknown as WebSocketConstructor;
}
