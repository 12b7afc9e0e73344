// The legacy simulator's fault model: persistent switches for undocumented behaviour, one-shot faults.
import type { RenderOptions } from './simulator-render.js';

/** Behaviour the protocol does not document (protocol page §4.3); each is a switch. */
export interface LegacyChatSimulatorSwitches extends RenderOptions {
  /** How `fromEventIds` is read: `inclusive` returns id >= N, `exclusive` id > N. Default `inclusive`. */
  fromEventIdsSemantics: 'inclusive' | 'exclusive';
  /** A key the agent session does not know: left out, an `error` element, or the whole request fails. Default `omit`. */
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
}

/** A one-shot misbehaviour, applied to the next matching request(s). */
export interface LegacyChatFault {
  /** Which requests it hits. Default `multichat`. */
  route?: 'multichat' | 'incomingRequests' | 'any';
  /** Answer with this status (body from `body`, default empty). */
  status?: number;
  /** `Retry-After` header value. */
  retryAfter?: string;
  body?: string;
  contentType?: string;
  /** Wait this long before answering (ms). */
  delayMs?: number;
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
}

/** One request the simulator received, for assertions. */
export interface LegacyChatRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  route: string;
  /** `GET <path>?<query> HTTP/1.1` length in bytes. */
  requestLineBytes: number;
  /** The chat keys of a multi-chat request, decoded. */
  keys: string[];
  status: number;
}

export const DEFAULT_SWITCHES: LegacyChatSimulatorSwitches = {
  rendering: 'wire',
  noNewEvents: 'links-only',
  timeMillis: 'always',
  offsetMinutes: 180,
  fromEventIdsSemantics: 'inclusive',
  unknownChatKey: 'omit',
  endedChatKey: 'return',
  listLengthMismatch: 'all-events',
  maxChatKeys: Number.POSITIVE_INFINITY,
  chatOrder: 'request',
  expiredAgentSession: 'oauth-text',
};
