import { createRequire } from 'node:module';

// node-agent-sdk@1.2.0 pointed at a loopback simulator over plain ws:// (protocol §8.3, recipe B),
// as test/adapters/messaging/conformance/sdk-loopback.ts does for the conformance test. The SDK is
// CommonJS with its own ws@1, so it is loaded through createRequire from its own location.

const require = createRequire(import.meta.url);
const sdkRequire = createRequire(require.resolve('node-agent-sdk/lib/Transport.js'));

export interface SdkAgent {
  on(event: string, listener: (...args: never[]) => void): void;
  removeAllListeners(event?: string): void;
  dispose(): void;
}

interface SdkTransport {
  configuration: { domain: string; accountId: string; token: string; apiVersion: string | number };
  ws: unknown;
  _bindWsEvents(): void;
}

let patchedFor: { domain: string } | undefined;

/**
 * A node-agent-sdk Agent connected to `domain` (host:port) with `token`. The SDK's CSDS lookup and
 * socket URL are patched once per process; the domain is read at connect time.
 */
export function sdkAgent(o: { domain: string; accountId: string; token: string; userId: string }): SdkAgent {
  if (patchedFor === undefined) {
    patchedFor = { domain: o.domain };
    const state = patchedFor;
    const CSDSClient = require('node-agent-sdk/lib/CSDSClient') as { prototype: Record<string, unknown> };
    const Transport = require('node-agent-sdk/lib/Transport') as { prototype: Record<string, unknown> };
    const WebSocket1 = sdkRequire('ws') as new (url: string, conf: object) => unknown;
    CSDSClient.prototype['getAll'] = (cb: (err: unknown, d: Record<string, string>) => void) =>
      cb(null, { agentVep: state.domain, asyncMessagingEnt: state.domain });
    Transport.prototype['_connect'] = function (this: SdkTransport) {
      const c = this.configuration;
      this.ws = new WebSocket1(
        `ws://${c.domain}/ws_api/account/${c.accountId}/messaging/brand/${c.token}?v=${c.apiVersion}`,
        c,
      );
      this._bindWsEvents();
    };
  }
  patchedFor.domain = o.domain;
  const { Agent } = require('node-agent-sdk') as {
    Agent: new (conf: Record<string, unknown>) => SdkAgent;
  };
  return new Agent({ accountId: o.accountId, token: o.token, userId: o.userId });
}
