// An ESM consumer of the packed package.
import { firstValueFrom, filter, take, timeout, toArray } from 'rxjs';
import { ChatshiftError, conversationEvents, isChatshiftError, memoryCheckpointStore } from 'chatshift';
import type { ConversationEvent, MessageEvent } from 'chatshift';
import { legacyChat, LegacyChatSimulator } from 'chatshift/legacy-chat';
import { messaging, MessagingSimulator } from 'chatshift/messaging';

async function main(): Promise<void> {
  const legacySim = await LegacyChatSimulator.start();
  const messagingSim = await MessagingSimulator.start();
  try {
    const chat = legacySim.openConversation();
    legacySim.consumerSays(chat, 'hello from esm, legacy');
    const conv = messagingSim.openConversation();
    messagingSim.consumerSays(conv, 'hello from esm, messaging');
    const texts = await firstValueFrom(
      conversationEvents({
        backend: 'both',
        legacy: legacyChat({ ...legacySim.clientOptions(), chats: [chat], pollIntervalMs: 20 }),
        messaging: messaging(messagingSim.clientOptions()),
        checkpoint: memoryCheckpointStore(),
      }).pipe(
        filter(
          (e: ConversationEvent): e is MessageEvent => e.type === 'message' && e.from.role === 'consumer',
        ),
        take(2),
        toArray(),
        timeout(15_000),
      ),
    );
    // One copy of the package whichever way it is loaded: a class from `import()` is the same class.
    const esm = (await import('chatshift')) as typeof import('chatshift');
    console.log(
      JSON.stringify({
        format: typeof require === 'function' ? 'commonjs' : 'esm',
        texts: texts.map((e) => e.text).sort(),
        sameClass: esm.ChatshiftError === ChatshiftError,
        coded: isChatshiftError(
          new esm.ChatshiftError('ERR_INVALID_OPTIONS', 'probe'),
          'ERR_INVALID_OPTIONS',
        ),
      }),
    );
  } finally {
    await legacySim.close();
    await messagingSim.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
