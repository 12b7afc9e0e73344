// Agent profiles of the Messaging simulator: `.ams.userprofile.GetUserProfile`, answered as the
// platform does — `{}` is the caller's own profile, `{ userId }` another user's; unknown ids 404.

/** An agent's profile as the simulator serves it (the documented `userprofile` fields). */
export interface MessagingAgentProfile {
  firstName?: string;
  lastName?: string;
  /** Sent only when set: the documented answer has first and last name, not a nickname. */
  nickname?: string;
  avatarUrl?: string;
  description?: string;
}

/** The profile of the simulator's own agent unless `profiles` in the start options says otherwise. */
export const DEFAULT_AGENT_PROFILE: Readonly<MessagingAgentProfile> = Object.freeze({
  firstName: 'Agent',
  lastName: 'Mia',
});

type Reply = (code: number, type: string, body: unknown) => void;

const RESPONSE = '.ams.userprofile.GetUserProfile$Response';

/** The profiles the simulator knows, by old-style agent id. */
export class SimProfiles {
  private readonly byId = new Map<string, MessagingAgentProfile>();

  constructor(
    private readonly ownId: string,
    initial: Readonly<Record<string, MessagingAgentProfile>>,
  ) {
    for (const [id, p] of Object.entries(initial)) this.set(id, p);
  }

  set(agentId: string, profile: MessagingAgentProfile): void {
    this.byId.set(agentId, { ...profile });
  }

  get(agentId: string): MessagingAgentProfile | undefined {
    const p = this.byId.get(agentId);
    return p === undefined ? undefined : { ...p };
  }

  /** Answers one GetUserProfile; a `userId` that is not a non-empty string is a bad request. */
  answer(body: Record<string, unknown>, reply: Reply, unexpected: (what: string) => void): void {
    const asked = body['userId'];
    if (asked !== undefined && (typeof asked !== 'string' || asked === '')) {
      unexpected('GetUserProfile with a userId that is not a non-empty string');
      return reply(400, '.ReqBody$StringResp', 'userId must be a non-empty string');
    }
    const id = asked ?? this.ownId;
    const p = this.byId.get(id);
    if (p === undefined) return reply(404, '.ReqBody$StringResp', `unknown user ${id}`);
    reply(200, RESPONSE, {
      userId: id,
      firstName: p.firstName ?? '',
      lastName: p.lastName ?? '',
      ...(p.nickname === undefined ? {} : { nickname: p.nickname }),
      avatarUrl: p.avatarUrl ?? '',
      role: 'ASSIGNED_AGENT',
      backgndImgUri: '',
      description: p.description ?? '',
      privateData: {},
    });
  }
}
