// The legacy simulator's fault model: persistent switches for undocumented behaviour, one-shot faults.
import type { RenderOptions } from './simulator-render.js';

/** Behaviour the protocol does not document (protocol page §4.3); each is a switch. */
export interface LegacyChatSimulatorSwitches extends RenderOptions {
  /** How `fromEventIds` is read: `inclusive` returns id >= N, `exclusive` id > N. Default `inclusive`. */
  fromEventIdsSemantics: 'inclusive' | 'exclusive';
  /**
   * A key the agent session does not know (never its, transferred away, ringing): the whole
   * request fails with 404 (production, production-behaviour.md L1), or 400, or the chat is left
   * out, or answered with an `error` element. Default `404`.
   */
  unknownChatKey: 'omit' | 'error-element' | '400' | '404';
  /** An ended chat asked for again: returned (state ended), left out, or an `error` element. Default `return`. */
  endedChatKey: 'return' | 'omit' | 'error-element';
  /** `fromEventIds` shorter or longer than `chatSessionKeys`: missing ids mean all events, or 400. Default `all-events`. */
  listLengthMismatch: 'all-events' | '400';
  /** Most keys one multi-chat request may carry before it fails with 400. Default Infinity. */
  maxChatKeys: number;
  /** Order of `chats.chat` in the answer. Default `request`. */
  chatOrder: 'request' | 'reversed';
  /** What a rejected bearer gets: the plain-text `oauth_problem` 401, a JSON 401, or 404. Default `oauth-text`. */
  expiredAgentSession: 'oauth-text' | 'json' | '404';
  /**
   * The session cookie (production-behaviour.md L3). Every answer sets `LPAgentSession=<id>` for the
   * agent-session path; `required`: a request without it (once issued) gets 401 with the cookie set
   * again. Default `optional` (undocumented how strict production is for bearer-signed calls).
   */
  cookies: 'optional' | 'required';
  /**
   * Where `incomingRequests.link['@href']` points (L9): the `incomingRequests` URL itself, or a
   * distinct `{agent-session}/incomingRequests/next` link; with `distinct`, a POST to the
   * `incomingRequests` URL is refused with 405, so only a client that follows the link accepts.
   * Default `incomingRequests`.
   */
  acceptLink: 'incomingRequests' | 'distinct';
  /** What an accept gets when nothing rings any more (the accept race): 404 or 409. Default `404`. */
  acceptRaceStatus: 404 | 409;
}

/** A one-shot misbehaviour, applied to the next matching request(s). */
export interface LegacyChatFault {
  /**
   * Which requests it hits. Default `multichat`. Writes: `events` (lines and end chat), `typing`,
   * `transfer` (the POST), `availability` (the PUT), and `accept`.
   */
  route?:
    'multichat' | 'incomingRequests' | 'accept' | 'events' | 'typing' | 'transfer' | 'availability' | 'any';
  /** Answer with this status (body from `body`, default empty). */
  status?: number;
  /** `Retry-After` header value. */
  retryAfter?: string;
  body?: string;
  contentType?: string;
  /** Wait this long before answering (ms); with `commitThenDrop: 'delay'`, after applying. */
  delayMs?: number;
  /**
   * Commit-then-drop (production-behaviour.md §3): the request is applied, then its connection is
   * reset without an answer (`reset`), or the answer waits `delayMs` (default 60 s) — past the
   * client's timeout (`delay`).
   */
  commitThenDrop?: 'reset' | 'delay';
  /** Destroy the connection instead of answering. */
  reset?: boolean;
  /** Never answer (until the client gives up or the simulator closes). */
  hang?: boolean;
  /** Answer 200 with a body that is not JSON. */
  malformed?: boolean;
  /** Answer normally but break one field: of the chat with this key, or of every chat (`'all'`). */
  schemaInvalid?: 'all' | string;
  /** Ignore `fromEventIds`: every event of every chat again (repeated events). */
  duplicate?: boolean;
  /** Pad the normal body to at least this many bytes. */
  oversizeBytes?: number;
  /** Send the normal answer's headers and this many bytes of its body, then reset (a body lost mid-way). */
  resetAfterBytes?: number;
  /** Send the normal answer a few bytes at a time: this many bytes every 100 ms (a trickled body). */
  trickleBytesPer100Ms?: number;
  /** Extra response headers (e.g. `location` with a 302 `status`). */
  headers?: Record<string, string>;
  /**
   * Accept only: another agent takes the next ringing chat just before this accept is answered
   * (the accept race); the accept then takes the next one, or gets `acceptRaceStatus`.
   */
  race?: boolean;
  /** Accept only: the `chatLocation` href to answer with, `{key}` replaced by the encoded key. */
  acceptHref?: string;
}

export const DEFAULT_SWITCHES: LegacyChatSimulatorSwitches = {
  rendering: 'wire',
  noNewEvents: 'links-only',
  timeMillis: 'always',
  offsetMinutes: 180,
  fromEventIdsSemantics: 'inclusive',
  unknownChatKey: '404',
  endedChatKey: 'return',
  listLengthMismatch: 'all-events',
  maxChatKeys: Number.POSITIVE_INFINITY,
  chatOrder: 'request',
  expiredAgentSession: 'oauth-text',
  cookies: 'optional',
  acceptLink: 'incomingRequests',
  acceptRaceStatus: 404,
  chatTimeoutSeconds: 40,
};
