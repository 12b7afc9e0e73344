import type { ChatMemory, ChatState } from './mapping.js';

import type { CheckpointStore, ConversationCheckpoint } from '../../src/checkpoint/store.js';

export type { CheckpointStore, ConversationCheckpoint };

/** The checkpoint entry of a chat: its cursor, whether it closed, and the derived-event state. */
export function toCheckpoint(memory: ChatMemory, closed: boolean): ConversationCheckpoint {
  const meta: Record<string, unknown> = {};
  if (memory.state !== undefined) meta['state'] = memory.state;
  if (memory.visitorTyping !== undefined) meta['visitorTyping'] = memory.visitorTyping;
  if (memory.agentTyping !== undefined) meta['agentTyping'] = memory.agentTyping;
  if (memory.agentId !== undefined) meta['agentId'] = memory.agentId;
  if (memory.agentName !== undefined) meta['agentName'] = memory.agentName;
  return closed ? { seq: memory.seq, closed: true, meta } : { seq: memory.seq, meta };
}

const STATES: readonly string[] = ['waiting', 'open', 'closed'];

/** Reads a stored entry back, keeping only fields of the expected types (a store is still input). */
export function fromCheckpoint(entry: ConversationCheckpoint): ChatMemory {
  const seq = Number.isSafeInteger(entry.seq) && entry.seq >= -1 ? entry.seq : -1;
  const memory: ChatMemory = { seq };
  const meta = entry.meta ?? {};
  const state = meta['state'];
  if (typeof state === 'string' && STATES.includes(state)) memory.state = state as ChatState;
  if (typeof meta['visitorTyping'] === 'boolean') memory.visitorTyping = meta['visitorTyping'];
  if (typeof meta['agentTyping'] === 'boolean') memory.agentTyping = meta['agentTyping'];
  if (typeof meta['agentId'] === 'string') memory.agentId = meta['agentId'];
  if (typeof meta['agentName'] === 'string') memory.agentName = meta['agentName'];
  return memory;
}
