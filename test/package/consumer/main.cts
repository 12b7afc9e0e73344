// A CommonJS consumer: `require('chatshift')` loads the ESM build through Node's require(esm).
import rxjs = require('rxjs');
import chatshift = require('chatshift');
import legacyChatEntry = require('chatshift/legacy-chat');
import messagingEntry = require('chatshift/messaging');
import type { ConversationEvent, MessageEvent } from 'chatshift';

const { firstValueFrom, filter, take, timeout, toArray } = rxjs;
const { ChatshiftError, conversationEvents, isChatshiftError, memoryCheckpointStore } = chatshift;
const { legacyChat, LegacyChatSimulator } = legacyChatEntry;
const { messaging, MessagingSimulator } = messagingEntry;

async function main(): Promise<void> {
  const legacySim = await LegacyChatSimulator.start();
  const messagingSim = await MessagingSimulator.start();
  try {
    const chat = legacySim.openConversation();
    legacySim.consumerSays(chat, 'hello from cjs, legacy');
    const conv = messagingSim.openConversation();
    messagingSim.consumerSays(conv, 'hello from cjs, messaging');
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
