import type { Observable } from 'rxjs';
import type { ConversationEvent } from '../../src/model/event.js';
import { legacyChat } from './backend.js';
import type { LegacyChatOptions } from './options.js';

/**
 * The events of the legacy Chat Agent API alone, as a cold Observable: `legacyChat(options).events()`.
 * Subscribing starts polling (one multi-chat request per cycle for all followed chats, split only
 * by `maxChatsPerRequest` and `maxRequestLineBytes`); unsubscribing aborts the request in flight
 * and clears every timer. Retryable failures (5xx, 429, resets, timeouts) are logged and retried
 * with backoff; 401 asks `bearer()` again once, then ends the stream with ERR_AUTH_REJECTED; a 4xx
 * a multi-chat request got for one of its keys drops that chat alone; other 3xx/4xx end the stream
 * with ERR_HTTP_STATUS. Options are validated at call time (ERR_INVALID_OPTIONS,
 * ERR_INSECURE_TRANSPORT thrown synchronously).
 *
 * @example
 * ```ts
 * import { legacyChatSource } from 'chatshift/legacy-chat';
 *
 * legacyChatSource({ agentSessionUrl, bearer: () => tokens.current(), acceptIncoming: true }).subscribe(
 *   (e) => console.log(e.conversationId, e.type),
 * );
 * ```
 */
export function legacyChatSource(options: LegacyChatOptions): Observable<ConversationEvent> {
  return legacyChat(options).events();
}
