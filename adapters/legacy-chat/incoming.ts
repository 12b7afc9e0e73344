import { formatValidationErrors } from '../../src/model/decode.js';
import type { InvalidInputReporter } from '../../src/runtime/invalid-input.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { AgentSessionClient } from './client.js';
import { WireChatLocation, WireIncoming } from './wire.js';

/** Most chats accepted in one poll cycle, so a flood of rings cannot starve the followed chats. */
export const MAX_ACCEPTS_PER_CYCLE = 10;

/**
 * Accepts ringing chats: reads `{agent-session}/incomingRequests`, then takes up to
 * {@link MAX_ACCEPTS_PER_CYCLE} of them one by one (`POST` to the same URL), handing each accepted
 * chat's key to `accepted` as soon as its answer is read. `more()` is asked before each accept
 * (stopped, draining). An accept is never aborted once sent: the server may have handed the chat
 * over, so its answer must be kept.
 */
export async function acceptRinging(
  client: AgentSessionClient,
  agentSessionUrl: string,
  signal: AbortSignal,
  hooks: {
    more(): boolean;
    accepted(chatSessionKey: string): void;
    logger: Logger;
    report: InvalidInputReporter;
  },
): Promise<void> {
  const base = agentSessionUrl.replace(/\/+$/, '');
  const url = `${base}/incomingRequests?v=1&NC=true`;
  const invalid = (what: string, errors: string[]): void =>
    hooks.report({
      code: 'ERR_SCHEMA_INVALID',
      message: `legacy-chat: schema-invalid ${what} response`,
      errors,
    });
  const body = await client.json('GET', url, 'incomingRequests', signal);
  if (body === undefined) return;
  const incoming = WireIncoming.decode(body);
  if (incoming._tag === 'Left') return invalid('incomingRequests', formatValidationErrors(incoming.left));
  const ringing = Math.min(incoming.right.incomingRequests.ringingCount, MAX_ACCEPTS_PER_CYCLE);
  for (let i = 0; i < ringing && hooks.more(); i++) {
    const answer = await client.json('POST', url, 'accept', new AbortController().signal, '{}');
    if (answer === undefined) return;
    const loc = WireChatLocation.decode(answer);
    if (loc._tag === 'Left') return invalid('chatLocation', formatValidationErrors(loc.left));
    const link = loc.right.chatLocation.link;
    const href = Array.isArray(link) ? link[0]?.href : link.href;
    const key =
      href === undefined ? '' : decodeURIComponent(new URL(href, base).pathname.split('/').pop() ?? '');
    hooks.logger.info?.('legacy-chat: accepted a chat', { chatSessionKey: key });
    hooks.accepted(key);
  }
}
