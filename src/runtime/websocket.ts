import type { ClientRequest, IncomingMessage } from 'node:http';

/**
 * The part of a WebSocket client that the connection uses, written out here so that the public
 * types do not depend on `@types/ws` (a devDependency): the `ws` package's `WebSocket` fits it, and
 * so does any client with the same events.
 */
export interface WebSocketLike {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: string): void;
  close(code?: number): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  on(event: 'open', listener: () => void): this;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(
    event: 'unexpected-response',
    listener: (request: ClientRequest, response: IncomingMessage) => void,
  ): this;
  on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
  on(event: 'close', listener: (code: number) => void): this;
  removeAllListeners(event: 'message'): this;
}

/** Options the connection passes when it opens a socket (a subset of `ws`'s `ClientOptions`). */
export interface WebSocketOptions {
  /** Largest frame accepted, in bytes; a bigger one is a connection error. */
  maxPayload: number;
  perMessageDeflate: boolean;
}

/** A `ws`-compatible WebSocket constructor (the `ws` package's `WebSocket` by default). */
export type WebSocketConstructor = new (url: string, options: WebSocketOptions) => WebSocketLike;
