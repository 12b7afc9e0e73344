import type { ConversationEvent, ConversationEventType } from '../model/event.js';
import { palette, type Palette } from './format.js';

/** Where the CLI writes: stdout for events, stderr for progress on a non-TTY. */
export interface ViewIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
}

export interface Progress {
  perBackend: Record<string, number>;
  open: number;
  backend: string;
  elapsedMs: number;
}

/** Renders events and progress: NDJSON with `--json`, a readable live view otherwise. */
export interface View {
  event(e: ConversationEvent): void;
  progress(p: Progress): void;
  note(line: string): void;
  end(): void;
}

/** How the view renders: NDJSON or readable, with colour, showing only some event types. */
export interface ViewOptions {
  json: boolean;
  /** Colour the readable view (see `useColour`). Default false. */
  colour?: boolean;
  /** Show only these event types (`--types`); the summary still counts every event. */
  types?: ReadonlySet<ConversationEventType> | undefined;
}

export function createView(io: ViewIo, options: ViewOptions): View {
  const shown = (e: ConversationEvent): boolean => options.types?.has(e.type) ?? true;
  if (options.json) {
    return {
      event: (e) => {
        if (shown(e)) io.stdout.write(`${JSON.stringify(e)}\n`);
      },
      progress: () => {},
      note: (line) => io.stderr.write(`${line}\n`),
      end: () => {},
    };
  }
  const tty = io.stdout.isTTY === true;
  const paint = palette(options.colour === true);
  let status = '';
  let lastProgressLine = 0;
  const clear = () => (tty && status !== '' ? '\r\x1b[K' : '');
  const write = (line: string) => io.stdout.write(`${clear()}${line}\n${tty ? status : ''}`);
  return {
    event: (e) => {
      if (shown(e)) write(describe(e, tty ? (io.stdout.columns ?? 120) : 200, paint));
    },
    note: (line) => write(line),
    progress(p) {
      const line = progressLine(p);
      if (tty) {
        status = line;
        io.stdout.write(`\r\x1b[K${status}`);
      } else if (p.elapsedMs - lastProgressLine >= 2000) {
        lastProgressLine = p.elapsedMs;
        io.stderr.write(`${line}\n`);
      }
    },
    end() {
      if (tty && status !== '') io.stdout.write('\r\x1b[K');
      status = '';
    },
  };
}

export function progressLine(p: Progress): string {
  const counts = Object.entries(p.perBackend)
    .map(([b, n]) => `${b} ${n}`)
    .join(' · ');
  return `[${(p.elapsedMs / 1000).toFixed(1)}s] backend=${p.backend} · events: ${counts || '0'} · open conversations: ${p.open}`;
}

/** One human line per event: time, backend, short conversation id, what happened. */
export function describe(e: ConversationEvent, width: number, paint: Palette = palette(false)): string {
  const conv = e.conversationId.length > 14 ? `…${e.conversationId.slice(-13)}` : e.conversationId;
  const head = `${e.time.slice(11, 23)} ${e.backend.padEnd(11)} ${conv.padEnd(14)}`;
  let what: string;
  switch (e.type) {
    case 'message':
      what = `${e.from.name ?? e.from.role}: ${e.format === 'html' ? stripTags(e.text) : e.text}${e.format === 'rich' ? ' [rich]' : ''}`;
      break;
    case 'state':
      what = `── conversation ${e.state}`;
      break;
    case 'typing':
      what = `${e.participant.name ?? e.participant.role} ${e.typing ? 'is typing…' : 'stopped typing'}`;
      break;
    case 'participant':
      what = `${e.participant.name ?? e.participant.id ?? e.participant.role} (${e.participant.role}) ${e.action}`;
      break;
    case 'receipt':
      what = `${e.participant.name ?? e.participant.role} ${e.status} #${e.seqs.join(',#')}`;
      break;
  }
  const line = `${head} ${what.replace(/\s+/g, ' ')}`;
  // Cut to the width first: colour codes take no columns.
  const cut = line.length > width ? `${line.slice(0, Math.max(10, width - 1))}…` : line;
  const time = cut.slice(0, 12);
  const backend = cut.slice(12, 24);
  const rest = cut.slice(24);
  const colourOf = e.backend === 'legacy-chat' ? paint.yellow : paint.cyan;
  const body =
    e.type === 'state'
      ? paint.bold(rest)
      : e.type === 'typing' || e.type === 'receipt'
        ? paint.dim(rest)
        : rest;
  return `${paint.dim(time)}${colourOf(backend)}${body}`;
}

function stripTags(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
