import { createRequire } from 'node:module';

// Points node-agent-sdk@1.2.0 at a loopback simulator (protocol §8.3, recipe B): CSDS answers from
// memory and the socket URL uses ws:// instead of the hard-coded wss://. Only the SDK's own
// prototypes are patched (it is the independent client under test, not our transport), and
// `restore()` puts them back.

const require = createRequire(import.meta.url);
const transportPath = require.resolve('node-agent-sdk/lib/Transport.js');
// The SDK bundles ws@1; a bare require('ws') here would load the project's ws@8.
const sdkRequire = createRequire(transportPath);

interface SdkTransport {
  configuration: { domain: string; accountId: string; token: string; apiVersion: string | number };
  ws: unknown;
  _bindWsEvents(): void;
}

export interface SdkAgent {
  on(event: string, listener: (...args: never[]) => void): void;
  removeAllListeners(event?: string): void;
  subscribeExConversations(body: object, cb: (err: unknown, resp: unknown) => void): void;
  subscribeMessagingEvents(body: object, cb: (err: unknown, resp: unknown) => void): void;
  publishEvent(body: object, cb: (err: unknown, resp: { sequence: number }) => void): void;
  setAgentState(body: object, cb: (err: unknown, resp: unknown) => void): void;
  getClock(body: object, cb: (err: unknown, resp: { currentTime: number }) => void): void;
  reconnect(dontRegenerateToken?: boolean): void;
  dispose(): void;
}

export interface SdkLoopback {
  Agent: new (conf: Record<string, unknown>) => SdkAgent;
  restore(): void;
}

/** Patches the SDK to talk to `domain` (host:port) over plain ws; call `restore()` afterwards. */
export function sdkLoopback(domain: string): SdkLoopback {
  const CSDSClient = require('node-agent-sdk/lib/CSDSClient') as { prototype: Record<string, unknown> };
  const Transport = require('node-agent-sdk/lib/Transport') as { prototype: Record<string, unknown> };
  const WebSocket1 = sdkRequire('ws') as new (url: string, conf: object) => unknown;
  const originalGetAll = CSDSClient.prototype['getAll'];
  const originalConnect = Transport.prototype['_connect'];
  CSDSClient.prototype['getAll'] = (cb: (err: unknown, domains: Record<string, string>) => void) =>
    cb(null, { agentVep: domain, asyncMessagingEnt: domain });
  Transport.prototype['_connect'] = function (this: SdkTransport) {
    const c = this.configuration;
    this.ws = new WebSocket1(
      `ws://${c.domain}/ws_api/account/${c.accountId}/messaging/brand/${c.token}?v=${c.apiVersion}`,
      c,
    );
    this._bindWsEvents();
  };
  const { Agent } = require('node-agent-sdk') as { Agent: SdkLoopback['Agent'] };
  return {
    Agent,
    restore() {
      CSDSClient.prototype['getAll'] = originalGetAll;
      Transport.prototype['_connect'] = originalConnect;
    },
  };
}
