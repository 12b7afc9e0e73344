// The socket types live in the core (src/runtime/websocket.ts) so that other adapters (the Redis
// runner's lease guard) can wrap a messaging socket without importing this adapter.
export type { WebSocketConstructor, WebSocketLike, WebSocketOptions } from '../../src/runtime/websocket.js';
