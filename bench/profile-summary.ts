import { readFileSync } from 'node:fs';

// `npx tsx bench/profile-summary.ts file.cpuprofile [more …] [--top N] [--per-item N]`: self time
// by stage of the event path (the stage is the source file's role) and the top functions by self
// time, summed over the files; with `--per-item`, also in CPU ns per item (message, event).

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

/** The stage a function's time belongs to, from where it is defined. */
const stages: [RegExp, string][] = [
  [/\(garbage collector\)/, 'garbage collection'],
  [/\(program\)|\(idle\)|\(root\)/, 'idle / program'],
  [/messaging\/simulator|legacy-chat\/simulator|bench\/preframe/, 'simulator (not the client)'],
  [
    /messaging\/wire|legacy-chat\/wire|legacy-chat\/decode|model\/guards|model\/strict|model\/refine|io-ts|fp-ts/,
    'checks (guards, codecs)',
  ],
  [
    /conversation-tracker|checkpoint\/|operators\/dedupe|legacy-chat\/poller|legacy-chat\/batches/,
    'tracker, cursor, dedupe',
  ],
  [/messaging\/mapping|legacy-chat\/mapping|model\/event|model\/ids|model\/participant/, 'mapping'],
  [/model\/time/, 'time formatting'],
  [/node_modules\/rxjs|runtime\/flow|cutover\//, 'RxJS delivery, flow, cutover'],
  [
    /node_modules\/ws\/|node:net|node:stream|internal\/streams|node:events|node:buffer|internal\/buffer/,
    'ws framing, sockets, streams',
  ],
  [/node_modules\/undici/, 'undici HTTP'],
  [
    /messaging\/source|messaging\/protocol|messaging\/connection|legacy-chat\/source|legacy-chat\/client|legacy-chat\/http/,
    'source, protocol, router',
  ],
  [/bench\//, 'bench harness'],
];

function stageOf(n: Node): string {
  const key = `${n.callFrame.functionName} ${n.callFrame.url}`;
  if (n.callFrame.url === '' && n.callFrame.functionName === 'parse') return 'JSON.parse';
  for (const [re, s] of stages) if (re.test(key)) return s;
  if (n.callFrame.url === '') return `native: ${n.callFrame.functionName || '(anonymous)'}`;
  return 'other';
}

const args = process.argv.slice(2);
const flag = (name: string): number | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : Number(args[i + 1]);
};
const files = args.filter((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (files.length === 0)
  throw new Error('usage: profile-summary.ts file.cpuprofile [more.cpuprofile …] [--top N] [--per-item N]');
const topN = flag('--top') ?? 25;
/** With `--per-item N` (e.g. the messages the profiled runs received), also CPU ns per item. */
const items = flag('--per-item');
let total = 0;
let busy = 0;
const stage = new Map<string, number>();
const fn = new Map<string, number>();
for (const file of files) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++)
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    total += us;
    const s = stageOf(n);
    if (s !== 'idle / program') busy += us;
    stage.set(s, (stage.get(s) ?? 0) + us);
    const short = n.callFrame.url.replace(/^.*\/(node_modules\/[^/]+|adapters|src|bench)\//, '$1/');
    const k = `${n.callFrame.functionName || '(anonymous)'} ${short}:${n.callFrame.lineNumber + 1}`;
    fn.set(k, (fn.get(k) ?? 0) + us);
  }
}
const pct = (us: number): string =>
  `${((100 * us) / busy).toFixed(1).padStart(5)} %` +
  (items === undefined ? '' : `${((us * 1000) / items).toFixed(0).padStart(7)} ns/item`);
process.stdout.write(
  `total ${(total / 1000).toFixed(0)} ms sampled, busy ${(busy / 1000).toFixed(0)} ms (percentages of busy)` +
    (items === undefined ? '' : `, ${((busy * 1000) / items).toFixed(0)} ns per item busy`) +
    '\n\nby stage (self time):\n',
);
for (const [s, us] of [...stage].sort((a, b) => b[1] - a[1]))
  if (s !== 'idle / program') process.stdout.write(`  ${pct(us)}  ${s}\n`);
process.stdout.write(`\ntop ${topN} functions (self time):\n`);
for (const [k, us] of [...fn].sort((a, b) => b[1] - a[1]).slice(0, topN))
  process.stdout.write(`  ${pct(us)}  ${k}\n`);
