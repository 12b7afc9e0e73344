import { mkdirSync } from 'node:fs';
import { memory } from './memory.js';
import { progress } from './support.js';

// `npx tsx bench/memory-snapshots.ts [--app] [--conversations N] [--dir D]`: the heap-per-conversation
// run with two heap snapshots of the child (no conversation / all followed), then compare them:
// `npx tsx bench/heap-diff.ts D/empty.heapsnapshot D/followed.heapsnapshot --per N`.

const arg = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i < 0 ? undefined : process.argv[i + 1];
};
const conversations = Number(arg('--conversations') ?? 10_000);
const dir = arg('--dir') ?? 'heap';
mkdirSync(dir, { recursive: true });
const stack = process.argv.includes('--app') ? 'app' : 'source';
memory({
  conversations,
  eventsSmall: conversations,
  eventsLarge: conversations,
  stack,
  snapshotDir: dir,
}).then(
  (r) => {
    progress(`${Math.round(r.bytesPerConversation)} B per followed conversation; snapshots in ${dir}/`);
    process.exit(0);
  },
  (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  },
);
