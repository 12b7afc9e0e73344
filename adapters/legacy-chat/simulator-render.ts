// How the legacy simulator renders its chats on the wire (protocol page §4.1, §4.3).
import type { SimChat, SimEvent } from './simulator-chats.js';

/** How responses are rendered (protocol page §4.1, §4.3). */
export type Rendering = 'wire' | 'doc';

export interface RenderOptions {
  rendering: Rendering;
  /** When a chat has no events to return: `events` with links only, or no `events` block. */
  noNewEvents: 'links-only' | 'absent';
  /** Omit `.000` milliseconds (the wire sometimes does, protocol page §3.14). */
  timeMillis: 'always' | 'omit-when-zero';
  /** Offset the times are rendered in, in minutes east of UTC. */
  offsetMinutes: number;
  /** `info.chatTimeout`: seconds within which each chat must be touched (production-behaviour.md L6). Default 40. */
  chatTimeoutSeconds: number;
}

/** Renders an epoch-ms time as ISO-8601 with a numeric offset, as the legacy API does. */
export function renderTime(ms: number, r: Pick<RenderOptions, 'timeMillis' | 'offsetMinutes'>): string {
  const local = new Date(ms + r.offsetMinutes * 60_000).toISOString().slice(0, 23);
  const text = r.timeMillis === 'omit-when-zero' && local.endsWith('.000') ? local.slice(0, 19) : local;
  const sign = r.offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(r.offsetMinutes);
  const hh = String(Math.floor(abs / 60)).padStart(2, '0');
  const mm = String(abs % 60).padStart(2, '0');
  return `${text}${sign}${hh}:${mm}`;
}

/** A collection as rendered: the wire collapses one element to a bare object. */
export function collection(items: unknown[], rendering: Rendering): unknown {
  return rendering === 'wire' && items.length === 1 ? items[0] : items;
}

function link(href: string, rel: string, rendering: Rendering): Record<string, string> {
  return rendering === 'wire' ? { '@href': href, '@rel': rel } : { href, rel };
}

export function renderEvent(e: SimEvent, r: RenderOptions): Record<string, unknown> {
  const wire = r.rendering === 'wire';
  const out: Record<string, unknown> = wire
    ? { '@id': e.wireId ?? String(e.id), '@type': e.type }
    : { id: e.wireId === undefined ? e.id : Number(e.wireId), type: e.type };
  out['time'] = renderTime(e.time, r);
  if (e.state !== undefined) out['state'] = e.state;
  if (e.type === 'line') {
    out['textType'] = e.textType ?? 'plain';
    out['text'] = e.text ?? '';
    out['by'] = e.by ?? 'visitor';
    out['source'] = e.source ?? 'visitor';
    if (e.systemMessageId !== undefined) out['systemMessageId'] = e.systemMessageId;
    out['subType'] = e.subType ?? 'REGULAR';
    if (e.json !== undefined) out['json'] = e.json;
  } else if (e.type !== 'state') {
    if (e.text !== undefined) out['text'] = e.text;
  }
  for (const f of e.omitFields ?? []) {
    delete out[`@${f}`];
    delete out[f];
  }
  return out;
}

export function renderInfo(chat: SimChat, chatUrl: string, r: RenderOptions): Record<string, unknown> {
  const links = [
    link(`${chatUrl}/info`, 'self', r.rendering),
    link(`${chatUrl}/info/visitorName`, 'visitor-name', r.rendering),
    link(`${chatUrl}/info/visitorTyping`, 'visitor-typing', r.rendering),
    link(`${chatUrl}/info/agentTyping`, 'agent-typing', r.rendering),
  ];
  const info: Record<string, unknown> = {
    link: collection(links, r.rendering),
    state: chat.state,
    chatSessionKey: chat.key,
  };
  if (chat.agent !== undefined) {
    info['agentName'] = chat.agent.name;
    info['agentId'] = chat.agent.id;
  }
  info['startTime'] = renderTime(chat.startTime, r);
  info['duration'] = 0;
  info['lastUpdate'] = renderTime(chat.lastUpdate, r);
  info['chatTimeout'] = r.chatTimeoutSeconds;
  info['agentTyping'] = chat.agentTyping ? 'typing' : 'not-typing';
  info['visitorTyping'] = chat.visitorTyping ? 'typing' : 'not-typing';
  info['visitorName'] = chat.visitorName;
  return info;
}

/** One chat as the multi-chat call and `GET {chat}` return it, with the given events. */
export function renderChat(chat: SimChat, events: SimEvent[], chatUrl: string, r: RenderOptions): unknown {
  const next = (chat.events.at(-1)?.id ?? -1) + 1;
  const chatLinks = [
    link(chatUrl, 'self', r.rendering),
    link(`${chatUrl}/events`, 'events', r.rendering),
    link(`${chatUrl}/info`, 'info', r.rendering),
    link(`${chatUrl}?from=${next}`, 'next', r.rendering),
  ];
  const out: Record<string, unknown> = { link: collection(chatLinks, r.rendering) };
  const eventsBlock = renderEvents(chat, events, chatUrl, r);
  if (eventsBlock !== undefined) out['events'] = eventsBlock;
  out['info'] = renderInfo(chat, chatUrl, r);
  return out;
}

/** The `events` block (also the body of `GET {chat}/events`), or nothing when it is empty and absent. */
export function renderEvents(
  chat: SimChat,
  events: SimEvent[],
  chatUrl: string,
  r: RenderOptions,
): Record<string, unknown> | undefined {
  if (events.length === 0 && r.noNewEvents === 'absent') return undefined;
  const next = (chat.events.at(-1)?.id ?? -1) + 1;
  const block: Record<string, unknown> = {
    link: collection(
      [
        link(`${chatUrl}/events`, 'self', r.rendering),
        link(`${chatUrl}/events?from=${next}`, 'next', r.rendering),
      ],
      r.rendering,
    ),
  };
  if (events.length > 0) {
    block['event'] = collection(
      events.map((e) => renderEvent(e, r)),
      r.rendering,
    );
  }
  return block;
}
