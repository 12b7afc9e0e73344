import type * as t from 'io-ts';
import { errorPaths, formatValidationErrors } from '../../src/model/decode.js';
import {
  WireChat,
  WireEventHead,
  WireLineEvent,
  WireMultiChat,
  WireStateEvent,
  type WireInfo,
  type WireLineEvent as Line,
  type WireStateEvent as State,
} from './wire.js';

/** One event of a chat after decoding: a line, a state change, or a type we do not map. */
export type DecodedEvent =
  | { kind: 'line'; id: number; event: Line }
  | { kind: 'state'; id: number; event: State }
  | { kind: 'unknown'; id: number; type: string };

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
 * Decodes a parsed multi-chat body. The unit of failure is one chat: a chat with any bad field
 * (its info or any of its events) is reported and left out whole, so its cursor does not move
 * past events nobody saw; the other chats go on.
 */
export function decodeMultiChat(body: unknown): DecodedMultiChat {
  const top = WireMultiChat.decode(body);
  if (top._tag === 'Left') {
    return { chats: [], problems: [{ code: 'ERR_SCHEMA_INVALID', ...prefixed('', top.left) }] };
  }
  const problems: Problem[] = [];
  if (top.right.error !== undefined) {
    problems.push({ code: 'ERR_PROTOCOL', paths: ['error'], errors: ['error reported inside a 2xx'] });
  }
  const chatsBlock = top.right.chats;
  const list = chatsBlock === undefined || chatsBlock === '' ? [] : (chatsBlock.chat ?? []);
  const chats: DecodedChat[] = [];
  list.forEach((raw, i) => {
    const r = decodeChat(raw, `chats/chat/${i}`);
    if ('problem' in r) problems.push(r.problem);
    else chats.push(r.chat);
  });
  return { chats, problems };
}

function decodeChat(raw: unknown, at: string): { chat: DecodedChat } | { problem: Problem } {
  const r = WireChat.decode(raw);
  if (r._tag === 'Left') return { problem: { code: 'ERR_SCHEMA_INVALID', ...prefixed(at, r.left) } };
  const { info, events, error } = r.right;
  if (info === undefined) {
    return error !== undefined
      ? { problem: { code: 'ERR_PROTOCOL', paths: [`${at}/error`], errors: ['chat error inside a 2xx'] } }
      : {
          problem: {
            code: 'ERR_SCHEMA_INVALID',
            paths: [`${at}/info`],
            errors: [`missing info at ${at}/info`],
          },
        };
  }
  const decoded: DecodedEvent[] = [];
  const rawEvents = events?.event ?? [];
  for (let j = 0; j < rawEvents.length; j++) {
    const ev = decodeEvent(rawEvents[j], `${at}/events/event/${j}`);
    if ('problem' in ev) return { problem: { ...ev.problem, chatSessionKey: info.chatSessionKey } };
    decoded.push(ev.event);
  }
  return { chat: { key: info.chatSessionKey, info, events: decoded } };
}

function decodeEvent(raw: unknown, at: string): { event: DecodedEvent } | { problem: Problem } {
  const head = WireEventHead.decode(raw);
  if (head._tag === 'Left') return { problem: { code: 'ERR_SCHEMA_INVALID', ...prefixed(at, head.left) } };
  const { id, type } = head.right;
  if (type === 'line') {
    const r = WireLineEvent.decode(raw);
    return r._tag === 'Left'
      ? { problem: { code: 'ERR_SCHEMA_INVALID', ...prefixed(at, r.left) } }
      : { event: { kind: 'line', id, event: r.right } };
  }
  if (type === 'state') {
    const r = WireStateEvent.decode(raw);
    return r._tag === 'Left'
      ? { problem: { code: 'ERR_SCHEMA_INVALID', ...prefixed(at, r.left) } }
      : { event: { kind: 'state', id, event: r.right } };
  }
  return { event: { kind: 'unknown', id, type } };
}
