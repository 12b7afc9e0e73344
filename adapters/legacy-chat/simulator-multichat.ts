// The multi-chat call (`GET {agent-session}/chat?chatSessionKeys=…&fromEventIds=…`) and its
// undocumented variants (protocol page §4.3).
import type { ChatScript } from './simulator-chats.js';
import { renderChat } from './simulator-render.js';
import type { LegacyChatFault, LegacyChatSimulatorSwitches } from './simulator-switches.js';

export function multiChat(
  chats: ChatScript,
  url: URL,
  s: Readonly<LegacyChatSimulatorSwitches>,
  chatUrl: (key: string) => string,
  fault: LegacyChatFault | undefined,
): { status: number; body: unknown } {
  const keys = splitList(url.searchParams.get('chatSessionKeys'));
  const ids = splitList(url.searchParams.get('fromEventIds'));
  if (keys.length === 0) return { status: 400, body: errorBody('chatSessionKeys is required') };
  if (keys.length > s.maxChatKeys) return { status: 400, body: errorBody('Too many chatSessionKeys') };
  if (ids.length > 0 && ids.length !== keys.length && s.listLengthMismatch === '400') {
    return { status: 400, body: errorBody('fromEventIds does not match chatSessionKeys') };
  }
  const out: unknown[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] ?? '';
    const chat = chats.chats.get(key);
    if (chat === undefined || chat.ringing) {
      if (s.unknownChatKey === '400' || s.unknownChatKey === '404') {
        return { status: Number(s.unknownChatKey), body: errorBody('Chat session not found') };
      }
      if (s.unknownChatKey === 'error-element')
        out.push({ error: errorBody('Chat session not found')['error'] });
      continue;
    }
    if (chat.state === 'ended' && s.endedChatKey !== 'return') {
      if (s.endedChatKey === 'error-element') out.push({ error: errorBody('Chat session ended')['error'] });
      continue;
    }
    const raw = ids[i];
    const from = raw === undefined || fault?.duplicate === true ? undefined : Number(raw);
    const events =
      from === undefined
        ? chat.events
        : chat.events.filter((e) => (s.fromEventIdsSemantics === 'inclusive' ? e.id >= from : e.id > from));
    const rendered = renderChat(chat, events, chatUrl(key), s) as Record<string, unknown>;
    if (fault?.schemaInvalid === 'all' || fault?.schemaInvalid === key) breakChat(rendered);
    out.push(rendered);
  }
  if (s.chatOrder === 'reversed') out.reverse();
  if (out.length === 0) return { status: 200, body: { chats: s.rendering === 'wire' ? '' : {} } };
  return {
    status: 200,
    body: { chats: { chat: s.rendering === 'wire' && out.length === 1 ? out[0] : out } },
  };
}

export function splitList(v: string | null): string[] {
  return v === null || v === '' ? [] : v.split(',').filter((s) => s !== '');
}

export function errorBody(message: string): { error: Record<string, unknown> } {
  return { error: { time: '2015-08-30T18:20:00.000+03:00', message, internalCode: 10 } };
}

/**
 * Breaks one field of the chat's info (its state), a transient corruption: the chat is left out
 * whole and delivered on a later poll. (A lasting odd event is scripted with `addEvent` instead.)
 */
function breakChat(chat: Record<string, unknown>): void {
  (chat['info'] as Record<string, unknown>)['state'] = 'bogus';
}
