import { readFileSync } from 'node:fs';

// `npx tsx bench/heap-diff.ts before.heapsnapshot after.heapsnapshot [--per N] [--top K]`: what
// the heap gained between two V8 snapshots, by node type and constructor name (self sizes), divided
// by N (e.g. the conversations followed in between). `npx tsx bench/memory-snapshots.ts` takes them.

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function tally(path: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(path, 'utf8')) as Snapshot;
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + typeAt] as number] as string;
    const raw = s.strings[s.nodes[i + nameAt] as number] ?? '';
    // Strings are named by their content: group them by type only.
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : raw;
    const key = `${type}${name === '' ? '' : ` ${name.slice(0, 60)}`}`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + sizeAt] as number;
    out.set(key, e);
  }
  return out;
}

const [before, after] = process.argv.slice(2, 4);
if (before === undefined || after === undefined)
  throw new Error('usage: heap-diff.ts before.heapsnapshot after.heapsnapshot [--per N] [--top K]');
const arg = (flag: string, dflt: number): number => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? dflt : Number(process.argv[i + 1]);
};
const per = arg('--per', 1);
const top = arg('--top', 20);
const a = tally(before);
const b = tally(after);
const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => ({
  k,
  count: (b.get(k)?.count ?? 0) - (a.get(k)?.count ?? 0),
  bytes: (b.get(k)?.bytes ?? 0) - (a.get(k)?.bytes ?? 0),
}));
const total = rows.reduce((s, r) => s + r.bytes, 0);
process.stdout.write(
  `gained ${total} B in all, ${(total / per).toFixed(0)} B per ${per === 1 ? 'snapshot' : 'unit'}\n`,
);
for (const r of rows.sort((x, y) => y.bytes - x.bytes).slice(0, top))
  process.stdout.write(
    `  ${(r.bytes / per).toFixed(1).padStart(8)} B  ${(r.count / per).toFixed(2).padStart(6)} objects  ${r.k}\n`,
  );
