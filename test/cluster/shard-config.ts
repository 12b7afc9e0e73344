// Shards of the cluster runs as plain JSON (a child process gets them on its command line), and the
// ShardSpecs an instance builds from them.
import { Agent, type Dispatcher } from 'undici';
import WebSocket from 'ws';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import type { ShardSpec } from '../../adapters/redis/index.js';
import type { BackendFlag } from '../../src/cutover/backend-flag.js';

/** One shard = one agent user: its legacy agent session and its messaging account. */
export interface ShardConfig {
  id: string;
  accountId: string;
  agentId: string;
  /** The agent session and the chats it follows (open before the instances start). */
  legacy: { agentSessionUrl: string; bearer: string; chats: string[] };
  messaging: { accountId: string; domain: string; bearer: string };
}

/** Work an instance did for a shard while it did not own it: requests sent, sockets opened, frames sent. */
export const fencedOwnerWork = { requests: 0, sockets: 0, frames: 0 };

/** One undici agent for the instance; each shard's dispatcher counts requests sent while not owned. */
const agent = new Agent();
const countingDispatcher = (owned: () => boolean): Dispatcher =>
  agent.compose((dispatch) => (opts, handler) => {
    if (!owned()) fencedOwnerWork.requests++;
    return dispatch(opts, handler);
  });

/** The `ws` constructor, counting sockets opened and frames sent while not owned. */
const countingWebSocket = (owned: () => boolean) =>
  class extends WebSocket {
    constructor(url: string, options: WebSocket.ClientOptions) {
      if (!owned()) fencedOwnerWork.sockets++;
      super(url, options);
    }
    override send(data: string): void {
      if (!owned()) fencedOwnerWork.frames++;
      super.send(data);
    }
  };

/** Builds each shard's two backends on the shard's lease-guarded scheduler, dispatcher and sockets. */
export function shardSpecs(
  configs: readonly ShardConfig[],
  o: { pollIntervalMs: number; flag: (shard: ShardConfig) => BackendFlag },
): ShardSpec[] {
  return configs.map((c) => ({
    id: c.id,
    accountId: c.accountId,
    agentId: c.agentId,
    backend: o.flag(c),
    // The lease guards wrap the counting parts, so what they count is what got past the guards.
    backends: ({ scheduler, owned, guardDispatcher, guardWebSocket }) => ({
      legacy: legacyChat({
        ...c.legacy,
        dispatcher: guardDispatcher(countingDispatcher(owned)),
        pollIntervalMs: o.pollIntervalMs,
        backoff: { initialMs: 20, maxMs: 200 },
        scheduler,
      }),
      messaging: messaging({
        ...c.messaging,
        backoff: { initialMs: 20, maxMs: 200 },
        scheduler,
        WebSocket: guardWebSocket(countingWebSocket(owned)),
      }),
    }),
  }));
}
