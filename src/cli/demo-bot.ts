// The integration code that never changes: a bot on conversationActions, the same on both backends.
import type { ConversationActions, ConversationEvent } from '../index.js';

/** Answers every consumer message; `transfer me` goes to skill 10, `bye` closes the conversation. */
export function demoBot(actions: ConversationActions): (e: ConversationEvent) => Promise<void> {
  return async (e) => {
    if (e.type !== 'message' || e.from.role !== 'consumer') return;
    await actions.typing(e, true);
    if (e.text === 'transfer me') {
      await actions.send(e, { text: 'Transferring you to Sales.' });
      return actions.transfer(e, { skillId: 10 });
    }
    if (e.text === 'bye') {
      await actions.send(e, { text: 'Goodbye!' });
      return actions.close(e);
    }
    await actions.send(e, { text: `You said: ${e.text}` });
    await actions.typing(e, false);
  };
}
