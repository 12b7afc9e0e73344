import type { ConversationEvent } from '../../src/model/event.js';

/** One valid example of every event type, as docs/event-model.md shows them. */
export const examples: Record<ConversationEvent['type'], unknown> = {
  message: {
    id: 'legacy-chat:H470K8414056:1',
    backend: 'legacy-chat',
    conversationId: 'H470K8414056',
    seq: 1,
    time: '2015-08-30T15:06:02.001Z',
    type: 'message',
    from: { role: 'system' },
    text: 'Thank you for choosing to chat with us. An agent will be with you shortly.',
    format: 'plain',
    systemCode: '4',
  },
  state: {
    id: 'messaging:conv-1:state-1700000020000',
    backend: 'messaging',
    conversationId: 'conv-1',
    time: '2023-11-14T22:13:40.000Z',
    type: 'state',
    state: 'closed',
  },
  typing: {
    id: 'messaging:conv-1:typing-cons-1-1700000010000',
    backend: 'messaging',
    conversationId: 'conv-1',
    time: '2023-11-14T22:13:30.000Z',
    type: 'typing',
    participant: { role: 'consumer', id: 'cons-1' },
    typing: true,
  },
  participant: {
    id: 'legacy-chat:H470K8414056:p-2',
    backend: 'legacy-chat',
    conversationId: 'H470K8414056',
    time: '2015-08-30T15:07:26.902Z',
    type: 'participant',
    action: 'joined',
    participant: { role: 'agent', id: '2', name: 'Agent Nick' },
  },
  receipt: {
    id: 'messaging:conv-1:4',
    backend: 'messaging',
    conversationId: 'conv-1',
    seq: 4,
    time: '2023-11-14T22:13:29.000Z',
    type: 'receipt',
    status: 'read',
    seqs: [3],
    participant: { role: 'consumer', id: 'cons-1' },
  },
};
