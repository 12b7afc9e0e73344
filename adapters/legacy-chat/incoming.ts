import { isChatshiftError } from '../../src/errors.js';
import { formatValidationErrors } from '../../src/model/decode.js';
import type { InvalidInputReporter } from '../../src/runtime/invalid-input.js';
import type { Logger } from '../../src/runtime/logger.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import type { AgentSessionClient } from './client.js';
import { WireChatLocation, WireIncoming } from './wire.js';

/** Most chats accepted in one poll cycle, so a flood of rings cannot starve the followed chats. */
export const MAX_ACCEPTS_PER_CYCLE = 10;

/**
 * Accepts ringing chats: reads `{agent-session}/incomingRequests`, then takes up to
 * {@link MAX_ACCEPTS_PER_CYCLE} of them one by one (`POST` to `incomingRequests.link['@href']`,
 * production-behaviour.md L9, or to the same URL when no same-origin link is given), handing each
 * accepted chat's key to `accepted` as soon as its answer is read. `more()` is asked before each
 * accept (stopped, draining). An accept is never aborted once sent: the server may have handed
 * the chat over, so its answer must be kept.
 *
 * Nothing ringing any more (404/409: another agent took it) is a warning. An accept whose answer
 * is lost (timeout, reset, unreadable `chatLocation`) may have taken a chat that the API never
 * names again: an error-level `ERR_ACCEPT_LOST` record and the `accept.lost` metric, then the
 * cycle goes on polling.
 */
export async function acceptRinging(
  client: AgentSessionClient,
  agentSessionUrl: string,
  signal: AbortSignal,
  hooks: {
    more(): boolean;
    accepted(chatSessionKey: string): void;
    /** An accept answer was lost: the chat it took may be found in `chatSessions`. */
    lost?(): void;
    logger: Logger;
    metrics: Metrics;
    report: InvalidInputReporter;
  },
): Promise<void> {
  const base = agentSessionUrl.replace(/\/+$/, '');
  const invalid = (what: string, errors: string[]): void =>
    hooks.report({
      code: 'ERR_SCHEMA_INVALID',
      message: `legacy-chat: schema-invalid ${what} response`,
      errors,
    });
  const lost = (why: string, fields: Record<string, unknown> = {}): void => {
    hooks.lost?.();
    hooks.metrics.increment('accept.lost');
    hooks.logger.error(
      `legacy-chat: an accept answer was lost (${why}); a chat may be taken and not followed`,
      {
        code: 'ERR_ACCEPT_LOST',
        ...fields,
      },
    );
  };
  const incoming = await readIncoming(client, base, signal, invalid);
  if (incoming === undefined) return;
  const ringing = Math.min(incoming.ringingCount, MAX_ACCEPTS_PER_CYCLE);
  for (let i = 0; i < ringing && hooks.more(); i++) {
    const r = await acceptNext(client, incoming.acceptUrl, base, invalid);
    if (r.kind === 'gone') {
      hooks.metrics.increment('accept.races');
      hooks.logger.warn('legacy-chat: nothing rings any more (another agent took it)', { status: r.status });
      return;
    }
    if (r.kind === 'lost') return lost(r.why, r.fields);
    hooks.logger.info?.('legacy-chat: accepted a chat', { chatSessionKey: r.key });
    hooks.accepted(r.key);
  }
}

/** How many chats ring and where to accept them; undefined when the answer was unreadable (reported). */
export async function readIncoming(
  client: AgentSessionClient,
  base: string,
  signal: AbortSignal,
  invalid: (what: string, errors: string[]) => void,
): Promise<{ ringingCount: number; acceptUrl: string } | undefined> {
  const url = `${base}/incomingRequests?v=1&NC=true`;
  const body = await client.json('GET', url, 'incomingRequests', signal);
  if (body === undefined) return undefined;
  const incoming = WireIncoming.decode(body);
  if (incoming._tag === 'Left') {
    invalid('incomingRequests', formatValidationErrors(incoming.left));
    return undefined;
  }
  const { ringingCount, link } = incoming.right.incomingRequests;
  return { ringingCount, acceptUrl: acceptLink(link, base) ?? url };
}

/** What one accept came to: the chat taken, nothing ringing any more, or an answer lost. */
export type AcceptOutcome =
  | { kind: 'accepted'; key: string }
  | { kind: 'gone'; status: unknown }
  | { kind: 'lost'; why: string; fields?: Record<string, unknown> };

/**
 * One accept (`POST` to the accept link), used by `acceptIncoming` and by the actions' `accept`.
 * Never aborted once sent and never repeated: the server may have handed the chat over, and a
 * second POST would take the next one. Auth failures are thrown.
 */
export async function acceptNext(
  client: AgentSessionClient,
  acceptUrl: string,
  base: string,
  invalid: (what: string, errors: string[]) => void,
): Promise<AcceptOutcome> {
  let answer: unknown;
  try {
    answer = await client.json('POST', acceptUrl, 'accept', new AbortController().signal, '{}');
  } catch (e) {
    const status = isChatshiftError(e, 'ERR_HTTP_STATUS') ? e.details['status'] : undefined;
    if (status === 404 || status === 409) return { kind: 'gone', status };
    if (!isChatshiftError(e) || e.code === 'ERR_AUTH_REJECTED' || e.code === 'ERR_BEARER_PROVIDER') throw e;
    return { kind: 'lost', why: 'no answer', fields: { cause: e.code, status } };
  }
  if (answer === undefined) return { kind: 'lost', why: 'not JSON' };
  const loc = WireChatLocation.decode(answer);
  if (loc._tag === 'Left') {
    invalid('chatLocation', formatValidationErrors(loc.left));
    return { kind: 'lost', why: 'schema-invalid chatLocation' };
  }
  const l = loc.right.chatLocation.link;
  const href = Array.isArray(l) ? l[0]?.href : l.href;
  const key = href === undefined ? undefined : chatKeyOf(href, base);
  if (key === undefined)
    return { kind: 'lost', why: 'no chat key in chatLocation', fields: { href: href?.slice(0, 200) } };
  return { kind: 'accepted', key };
}

type Link = { href: string } | readonly { href: string }[] | undefined;

/** The accept link if it stays on the agent session's origin (the bearer goes nowhere else). */
function acceptLink(link: Link, base: string): string | undefined {
  const href = Array.isArray(link) ? link[0]?.href : (link as { href: string } | undefined)?.href;
  if (href === undefined) return undefined;
  try {
    const u = new URL(href, base);
    if (u.origin !== new URL(base).origin) return undefined;
    if (!u.searchParams.has('v')) u.searchParams.set('v', '1');
    if (!u.searchParams.has('NC')) u.searchParams.set('NC', 'true');
    return u.toString();
  } catch {
    return undefined;
  }
}

/** The key of a `…/chat/{key}` href (a trailing `/` tolerated), or undefined when there is none. */
export function chatKeyOf(href: string, base: string): string | undefined {
  try {
    const m = /\/chat\/([^/]+)\/?$/.exec(new URL(href, base).pathname);
    const key = m === null ? '' : decodeURIComponent(m[1] ?? '');
    return key === '' ? undefined : key;
  } catch {
    return undefined;
  }
}
