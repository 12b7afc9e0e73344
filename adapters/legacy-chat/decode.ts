import type * as t from 'io-ts';
import { errorPaths, formatValidationErrors } from '../../src/model/decode.js';
import {
  converterOf,
  INVALID,
  WireChat,
  WireEventHead,
  WireInfoKey,
  WireLineEvent,
  WireMultiChat,
  WireStateEvent,
  type WireInfo,
  type WireLineEvent as Line,
  type WireStateEvent as State,
} from './wire.js';

/**
 * One event of a chat after decoding: a line, a state change, a type we do not map, or an event
 * the decoder rejected whose id could still be read (reported; the cursor moves past it).
 */
export type DecodedEvent =
  | { kind: 'line'; id: number; event: Line }
  | { kind: 'state'; id: number; event: State }
  | { kind: 'unknown'; id: number; type: string }
  | { kind: 'invalid'; id: number };

/** One chat of a multi-chat response, matched by `info.chatSessionKey`. */
export interface DecodedChat {
  key: string;
  info: WireInfo;
  events: DecodedEvent[];
}

/** A part of a response that could not be used, with the paths of its bad fields. */
export interface Problem {
  /** `ERR_SCHEMA_INVALID` for a shape problem, `ERR_PROTOCOL` for an error reported inside a 2xx. */
  code: 'ERR_SCHEMA_INVALID' | 'ERR_PROTOCOL';
  /** The chat it concerns, when its key could be read. */
  chatSessionKey?: string;
  paths: string[];
  errors: string[];
}

export interface DecodedMultiChat {
  chats: DecodedChat[];
  problems: Problem[];
}

const prefixed = (prefix: string, errors: t.Errors) => ({
  paths: errorPaths(errors).map((p) => (p === '' ? prefix : `${prefix}/${p}`)),
  errors: formatValidationErrors(errors).map((e) => `${e} (under ${prefix})`),
});

/**
 * Decodes a parsed multi-chat body. The unit of failure is the smallest part that can be skipped:
 * a chat whose info is bad is reported and left out whole (nothing of it can be placed); an event
 * the decoder rejects is reported and left out alone, and when its id is readable it stays in the
 * chat as `invalid`, so the cursor moves past it and the chat's other events still arrive
 * (production-behaviour.md L4: one odd event never stalls its chat).
 */
export function decodeMultiChat(body: unknown): DecodedMultiChat {
  const problems: Problem[] = [];
  const top = WireMultiChat.decode(body);
  if (top._tag === 'Left') {
    return { chats: [], problems: [{ code: 'ERR_SCHEMA_INVALID', ...prefixed('', top.left) }] };
  }
  if (top.right.error !== undefined) {
    problems.push({ code: 'ERR_PROTOCOL', paths: ['error'], errors: ['error reported inside a 2xx'] });
  }
  const chatsBlock = top.right.chats;
  const list = chatsBlock === undefined || chatsBlock === '' ? [] : (chatsBlock.chat ?? []);
  const chats: DecodedChat[] = [];
  list.forEach((raw, i) => {
    const r = decodeChat(raw, `chats/chat/${i}`, problems);
    if (r !== undefined) chats.push(r);
  });
  return { chats, problems };
}

function decodeChat(raw: unknown, at: string, problems: Problem[]): DecodedChat | undefined {
  const r = WireChat.decode(raw);
  if (r._tag === 'Left') {
    const problem: Problem = { code: 'ERR_SCHEMA_INVALID', ...prefixed(at, r.left) };
    // The key alone, when readable, names the chat in the report (and shows it was not absent).
    const key = WireInfoKey.decode(
      typeof raw === 'object' && raw !== null ? (raw as { info?: unknown }).info : undefined,
    );
    if (key._tag === 'Right') problem.chatSessionKey = key.right.chatSessionKey;
    problems.push(problem);
    return undefined;
  }
  const { info, events, error } = r.right;
  if (info === undefined) {
    problems.push(
      error !== undefined
        ? { code: 'ERR_PROTOCOL', paths: [`${at}/error`], errors: ['chat error inside a 2xx'] }
        : { code: 'ERR_SCHEMA_INVALID', paths: [`${at}/info`], errors: [`missing info at ${at}/info`] },
    );
    return undefined;
  }
  const decoded: DecodedEvent[] = [];
  const rawEvents = events?.event ?? [];
  for (let j = 0; j < rawEvents.length; j++) {
    const item = rawEvents[j];
    const ev = decodeEvent(item);
    if (!Array.isArray(ev)) {
      decoded.push(ev as DecodedEvent);
      continue;
    }
    problems.push({
      code: 'ERR_SCHEMA_INVALID',
      chatSessionKey: info.chatSessionKey,
      ...prefixed(`${at}/events/event/${j}`, ev),
    });
    // Its id, when readable, still moves the cursor: the event is skipped, not fetched forever.
    const head = WireEventHead.decode(item);
    if (head._tag === 'Right') decoded.push({ kind: 'invalid', id: head.right.id });
  }
  return { key: info.chatSessionKey, info, events: decoded };
}

// The valid case through the converters (no io-ts result objects); a rejected event is decoded
// again with the codecs, which answer alike and say what is wrong.
const headOf = converterOf(WireEventHead);
const lineOf = converterOf(WireLineEvent);
const stateOf = converterOf(WireStateEvent);

/** The decoded event, or the codec's errors (an array) for a rejected one: no result object per event. */
function decodeEvent(raw: unknown): DecodedEvent | t.Errors {
  const head = headOf(raw);
  if (head === INVALID) return errorsOf(WireEventHead.decode(raw));
  const { id, type } = head;
  if (type === 'line') {
    const event = lineOf(raw);
    if (event === INVALID) return errorsOf(WireLineEvent.decode(raw));
    return { kind: 'line', id, event };
  }
  if (type === 'state') {
    const event = stateOf(raw);
    if (event === INVALID) return errorsOf(WireStateEvent.decode(raw));
    return { kind: 'state', id, event };
  }
  return { kind: 'unknown', id, type };
}

/** The errors of a decode the converter rejected (a Right here would be a codec bug: no errors). */
function errorsOf(r: t.Validation<unknown>): t.Errors {
  return r._tag === 'Left' ? r.left : [];
}
