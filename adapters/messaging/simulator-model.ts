/** Wire roles the simulator knows. */
export type SimRole = 'CONSUMER' | 'ASSIGNED_AGENT' | 'MANAGER' | 'READER';

/** A non-main dialog (a POST_SURVEY or bot dialog): its own id, sequences and records (M1). */
export interface SimDialog {
  id: string;
  type: string;
  state: 'OPEN' | 'CLOSE';
  seq: number;
  records: Array<Record<string, unknown> & { sequence: number }>;
}

/** One scripted conversation (its main dialog id is its id). */
export interface SimConversation {
  id: string;
  state: 'OPEN' | 'CLOSE';
  /** role -> old-style ids, in join order. */
  participants: Record<SimRole, string[]>;
  startTs: number;
  endTs?: number;
  metaTs: number;
  /** Last sequence handed out. */
  seq: number;
  /** Sequenced records in order (what QueryMessages answers from). */
  records: Array<Record<string, unknown> & { sequence: number }>;
  lastContent?: Record<string, unknown>;
  /** State of the MAIN dialog (a survey runs after it closes, M1). */
  mainState: 'OPEN' | 'CLOSE';
  /** Non-main dialogs, in opening order. */
  dialogs: SimDialog[];
}

/** Who sent something: old-style id and role. */
export interface SimOriginator {
  id: string;
  role: SimRole;
}

/** The PId of an old-style id: agents `123.77` -> `pid-77`; consumers keep theirs. */
export const pidOf = (id: string, role: SimRole): string =>
  role === 'CONSUMER' ? id : `pid-${id.split('.').pop() ?? id}`;

/**
 * The simulator's conversation store: ids, per-dialog sequences, server clock and the v2.1 wire
 * shapes (role maps in both id spaces, dialogs with participantsDetails on UPSERT and DELETE).
 */
export class SimModel {
  readonly conversations = new Map<string, SimConversation>();
  /** Non-main dialog id -> its conversation. */
  readonly dialogOwners = new Map<string, SimConversation>();
  private nextDialog = 1;
  private lastTs = 0;
  private nextConv = 1;

  /** A strictly increasing server clock (epoch ms), so every change has a newer metaDataLastUpdateTs. */
  now(): number {
    this.lastTs = Math.max(this.lastTs + 1, Date.now());
    return this.lastTs;
  }

  open(id: string | undefined, consumerId: string, agentId: string | undefined): SimConversation {
    const convId = id ?? `conv-${this.nextConv++}`;
    if (this.conversations.has(convId)) throw new Error(`conversation ${convId} exists`);
    const ts = this.now();
    const conv: SimConversation = {
      id: convId,
      state: 'OPEN',
      participants: {
        CONSUMER: [consumerId],
        ASSIGNED_AGENT: agentId === undefined ? [] : [agentId],
        MANAGER: [],
        READER: [],
      },
      startTs: ts,
      metaTs: ts,
      seq: 0,
      records: [],
      mainState: 'OPEN',
      dialogs: [],
    };
    this.conversations.set(convId, conv);
    return conv;
  }

  /** Opens a non-main dialog (DialogChange ADD) and returns it. */
  openDialog(conv: SimConversation, type: string): SimDialog {
    const d: SimDialog = {
      id: `${conv.id}-dlg-${this.nextDialog++}`,
      type,
      state: 'OPEN',
      seq: 0,
      records: [],
    };
    conv.dialogs.push(d);
    this.dialogOwners.set(d.id, conv);
    return d;
  }

  /** The sequence holder of a dialog id: the conversation (main) or one of its dialogs. */
  holder(dialogId: string): { conv: SimConversation; dialog?: SimDialog } | undefined {
    const conv = this.conversations.get(dialogId);
    if (conv !== undefined) return { conv };
    const owner = this.dialogOwners.get(dialogId);
    const dialog = owner?.dialogs.find((d) => d.id === dialogId);
    return owner === undefined || dialog === undefined ? undefined : { conv: owner, dialog };
  }

  get(id: string): SimConversation {
    const c = this.conversations.get(id);
    if (c === undefined) throw new Error(`unknown conversation ${id}`);
    return c;
  }

  /** Builds an event record; sequenced ones get the next sequence and are stored for history. */
  record(
    conv: SimConversation,
    from: SimOriginator,
    event: Record<string, unknown>,
    sequenced: boolean,
    extra: { messageAudience?: string; metadata?: unknown[] } = {},
    dialog?: SimDialog,
  ): Record<string, unknown> {
    const pid = pidOf(from.id, from.role);
    const base = {
      dialogId: dialog?.id ?? conv.id,
      originatorId: from.id,
      originatorPId: pid,
      originatorMetadata: { id: pid, role: from.role },
      ...(extra.messageAudience === undefined ? {} : { messageAudience: extra.messageAudience }),
      ...(extra.metadata === undefined ? {} : { metadata: extra.metadata }),
    };
    if (!sequenced) return { ...base, event };
    const h = dialog ?? conv;
    const r = { sequence: ++h.seq, ...base, serverTimestamp: this.now(), event };
    h.records.push(r);
    if (event['type'] === 'ContentEvent') conv.lastContent = r;
    return r;
  }

  /** Records newer than `after` (exclusive) or from `after` (inclusive). */
  history(
    conv: SimConversation | SimDialog,
    after: number,
    inclusive: boolean,
  ): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const r of conv.records) if (inclusive ? r.sequence >= after : r.sequence > after) out.push(r);
    return out;
  }

  /** Whether `agentId` takes part in the conversation in any agent role (assigned, manager, reader). */
  participates(conv: SimConversation, agentId: string): boolean {
    const p = conv.participants;
    return p.ASSIGNED_AGENT.includes(agentId) || p.MANAGER.includes(agentId) || p.READER.includes(agentId);
  }

  touch(conv: SimConversation): void {
    conv.metaTs = this.now();
  }

  /** The `changes[]` entry for a conversation, full v2.1 shape. */
  change(conv: SimConversation, type: 'UPSERT' | 'DELETE', withLastContent = true): Record<string, unknown> {
    const participants: Record<string, string[]> = {};
    const participantsPId: Record<string, string[]> = {};
    const details: Array<Record<string, unknown>> = [];
    for (const role of ['CONSUMER', 'ASSIGNED_AGENT', 'MANAGER', 'READER'] as const) {
      const ids = conv.participants[role];
      if (ids.length === 0) continue;
      participants[role] = [...ids];
      participantsPId[role] = ids.map((id) => pidOf(id, role));
      for (const id of ids) details.push({ id, role, state: 'ACTIVE' });
    }
    const conversationDetails: Record<string, unknown> = {
      convId: conv.id,
      skillId: '-1',
      participants,
      participantsPId,
      dialogs: [
        {
          dialogId: conv.id,
          dialogType: 'MAIN',
          state: conv.state === 'CLOSE' ? 'CLOSE' : conv.mainState,
          participantsDetails: details,
        },
        ...conv.dialogs.map((d) => ({
          dialogId: d.id,
          dialogType: d.type,
          state: conv.state === 'CLOSE' ? 'CLOSE' : d.state,
          participantsDetails: details,
        })),
      ],
      state: conv.state,
      startTs: conv.startTs,
      metaDataLastUpdateTs: conv.metaTs,
      ttr: { ttrType: 'NORMAL', value: 3600 },
    };
    if (conv.endTs !== undefined) conversationDetails['endTs'] = conv.endTs;
    const result: Record<string, unknown> = { convId: conv.id, conversationDetails };
    if (withLastContent && conv.lastContent !== undefined)
      result['lastContentEventNotification'] = conv.lastContent;
    return { type, result };
  }
}
