import type { ConversationEvent } from '../../src/model/event.js';

import type { CheckpointStore, ConversationCheckpoint } from '../../src/checkpoint/store.js';

export type { ConversationEvent, ConversationCheckpoint };

/** The checkpoint store the Messaging source uses (backend `'messaging'`): the core `CheckpointStore`. */
export type MessagingCheckpointStore = CheckpointStore;
