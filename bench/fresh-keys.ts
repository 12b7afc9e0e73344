import { randomUUID } from 'node:crypto';
import { FreshKeyMap } from '../adapters/messaging/fresh-key-map.js';
import { median } from './support.js';

// `npx tsx bench/fresh-keys.ts`: what reading a key with a string fresh from JSON.parse costs, per
// lookup (CPU ns, median of 15 rounds of 200,000), against what the messaging hot path does instead
// (docs/benchmarks.md, issue #16). Every frame's `type`, `dialogId`, event type and role are such
// strings: V8 hashes a string on its first use as a key, over all of its characters.

const N = 200_000;
const uuids = Array.from({ length: 100 }, () => randomUUID());
const template = Array.from({ length: N }, (_, i) => ({
  type: '.ams.ms.OnlineEventDistribution',
  dialogId: uuids[i % 100]!,
  eventType: 'ContentEvent',
  role: i % 7 === 0 ? 'ASSIGNED_AGENT' : 'CONSUMER',
}));
type Frame = (typeof template)[number];
type Field = keyof Frame;
/** One field of each frame, as JSON.parse gives it: every string new. */
const fresh = (field: Field): Frame[] =>
  template.map((f) => JSON.parse(JSON.stringify({ [field]: f[field] })) as Frame);
const fieldOf = (name: string): Field =>
  name.startsWith('notification')
    ? 'type'
    : name.startsWith('event')
      ? 'eventType'
      : name.startsWith('role')
        ? 'role'
        : 'dialogId';

const notificationSet = new Set(['.ams.ms.OnlineEventDistribution', 'ms.OnlineEventDistribution']);
const byMap = new Map(uuids.map((u, i) => [u, i]));
const byFreshKeyMap = new FreshKeyMap<number>();
for (const [u, i] of byMap) byFreshKeyMap.set(u, i);
const guards: Record<string, (u: unknown) => boolean> = {
  ContentEvent: (u) => u !== null,
  RichContentEvent: (u) => u !== null,
  AcceptStatusEvent: (u) => u !== null,
  ChatStateEvent: (u) => u !== null,
};
const roles: Record<string, string> = { CONSUMER: 'consumer', ASSIGNED_AGENT: 'agent', MANAGER: 'manager' };

let sink = 0;
// Each case runs its own loop, so each lookup is inlined at its own call site (one shared loop
// calling every case would measure a megamorphic call instead).
const cases: Record<string, (frames: readonly Frame[]) => void> = {
  // What touching a fresh frame costs at all: subtracted from the others.
  'baseline: one length read': (fs) => {
    for (const f of fs) if (f.dialogId.length > 0) sink++;
  },
  'notification type: Set#has': (fs) => {
    for (const f of fs) if (notificationSet.has(f.type)) sink++;
  },
  'notification type: two ===': (fs) => {
    for (const f of fs)
      if (f.type === '.ams.ms.OnlineEventDistribution' || f.type === 'ms.OnlineEventDistribution') sink++;
  },
  'dialog lookup: Map#get': (fs) => {
    for (const f of fs) if (byMap.get(f.dialogId) !== undefined) sink++;
  },
  'dialog lookup: FreshKeyMap#get': (fs) => {
    for (const f of fs) if (byFreshKeyMap.get(f.dialogId) !== undefined) sink++;
  },
  'event guard: guards[type]': (fs) => {
    for (const f of fs) if (Object.hasOwn(guards, f.eventType) && guards[f.eventType]!(f)) sink++;
  },
  'event guard: switch': (fs) => {
    for (const f of fs)
      switch (f.eventType) {
        case 'ContentEvent':
          if (guards['ContentEvent']!(f)) sink++;
          break;
        case 'ChatStateEvent':
          if (guards['ChatStateEvent']!(f)) sink++;
          break;
      }
  },
  'role: roles[role]': (fs) => {
    for (const f of fs) if (Object.hasOwn(roles, f.role) && roles[f.role] === 'agent') sink++;
  },
  'role: switch': (fs) => {
    for (const f of fs)
      switch (f.role) {
        case 'ASSIGNED_AGENT':
        case 'AGENT':
          sink++;
      }
  },
};

const ns: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round <= 15; round++)
  for (const [name, f] of Object.entries(cases)) {
    const frames = fresh(fieldOf(name));
    const t0 = process.cpuUsage();
    f(frames);
    const d = process.cpuUsage(t0);
    if (round > 0) ns[name]!.push(((d.user + d.system) * 1000) / N);
  }
for (const [name, v] of Object.entries(ns))
  console.log(`${name.padEnd(34)} ${median(v).toFixed(1).padStart(6)} ns`);
if (sink === 0) console.log('(nothing counted)');
