import { ChatshiftError } from '../errors.js';
import type { ConversationRef, SendContent } from '../runtime/actions-backend.js';

/** Throws `ERR_INVALID_OPTIONS` unless `ref` names a backend and a conversation. */
export function checkRef(what: string, ref: ConversationRef): void {
  const r = ref as Partial<ConversationRef> | null;
  if (r === null || typeof r !== 'object' || typeof r.conversationId !== 'string' || r.conversationId === '')
    throw new ChatshiftError(
      'ERR_INVALID_OPTIONS',
      `${what}: ref must be a conversation event or { backend, conversationId }`,
    );
}

/** Throws `ERR_INVALID_OPTIONS` unless `content` is text or rich content with a fallback text. */
export function checkContent(content: SendContent): void {
  const c = content as Partial<Record<string, unknown>> | null;
  const bad = (why: string): never => {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', `send: ${why}`);
  };
  if (c === null || typeof c !== 'object') bad('content must be { text } or { rich, fallbackText }');
  if (c?.['audience'] !== undefined && c['audience'] !== 'all' && c['audience'] !== 'agents')
    bad("audience must be 'all' or 'agents'");
  if ('rich' in (c ?? {})) {
    if (typeof c?.['rich'] !== 'object' || c['rich'] === null) bad('rich must be an object');
    if (typeof c?.['fallbackText'] !== 'string' || c['fallbackText'] === '')
      bad('rich content needs a fallbackText');
    return;
  }
  if (typeof c?.['text'] !== 'string' || c['text'] === '') bad('text must be a non-empty string');
  if (c?.['format'] !== undefined && c['format'] !== 'plain' && c['format'] !== 'html')
    bad("format must be 'plain' or 'html'");
}
