import type { ConversationEvent } from '../../src/model/event.js';

import type { ConversationCheckpoint } from '../../src/checkpoint/store.js';

export type { ConversationEvent, ConversationCheckpoint };
