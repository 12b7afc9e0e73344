import * as t from 'io-ts';
import { strictObject } from './strict.js';

export const ParticipantRoleCodec = t.keyof(
  { consumer: null, agent: null, manager: null, system: null },
  'ParticipantRole',
);
export type ParticipantRole = t.TypeOf<typeof ParticipantRoleCodec>;

/** Who did something: the role always, the backend's id and display name when it has them. */
export const ParticipantCodec = strictObject(
  'Participant',
  { role: ParticipantRoleCodec },
  { id: t.string, name: t.string },
);
export type Participant = t.TypeOf<typeof ParticipantCodec>;
