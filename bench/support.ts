import { cpus } from 'node:os';
import type { MessagingSimulator } from '../adapters/messaging/index.js';

/** One benchmark figure, as printed in the table and the JSON summary. */
export interface Figure {
  /** What is measured, e.g. `messaging msg/s vs raw ws`. */
  figure: string;
  unit: string;
  chatshift: number;
  /** The baseline's value, if the figure is compared with one. */
  baseline?: number;
  /** `chatshift / baseline` (or the figure's own ratio); higher is better unless `lowerIsBetter`. */
  ratio?: number;
  /** Human-readable target, e.g. `>= 0.5`. */
  target: string;
  met: boolean;
  /** Per-round raw values, for the JSON summary. */
  rounds?: { chatshift: number[]; baseline?: number[] };
  note?: string;
}

/** Where the figures were measured. */
export interface Machine {
  node: string;
  cpu: string;
  cores: number;
  platform: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    node: process.version,
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile (`p` in 0..100) of unsorted values. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const rank = Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length)));
  return s[rank - 1] as number;
}

/**
 * Runs each contender once per round, in order (A B C, A B C, …), so slow phases of a noisy,
 * shared machine hit every contender alike. Returns each contender's per-round results.
 */
export async function interleave<K extends string, R>(
  rounds: number,
  contenders: Record<K, () => Promise<R>>,
  onResult?: (name: K, round: number, r: R) => void,
): Promise<Record<K, R[]>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as R[]])) as Record<K, R[]>;
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const r = await contenders[name]();
      out[name].push(r);
      onResult?.(name, round, r);
    }
  }
  return out;
}

/** Resolves once `cond()` is true (checked every `everyMs`); rejects after `timeoutMs` naming `what`. */
export async function until(
  cond: () => boolean,
  what: string,
  timeoutMs: number,
  everyMs = 2,
): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs)
      throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Rejects after `ms` with a message naming `what`, unless `p` settles first. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let progressSink = (line: string): void => void process.stderr.write(`${line}\n`);

/** Progress lines go to stderr so `--json` output stays parseable. */
export function progress(line: string): void {
  progressSink(line);
}

/** Replaces where progress lines go (the smoke test silences them). */
export function onProgress(sink: (line: string) => void): void {
  progressSink = sink;
}

/** The Messaging socket URL a raw `ws` baseline opens against a simulator, from its client options. */
export function rawUrl(sim: MessagingSimulator): string {
  const c = sim.clientOptions();
  return `ws://${c.domain}/ws_api/account/${c.accountId}/messaging/brand/${encodeURIComponent(c.bearer)}?v=2.1`;
}

/** What `sdkAgent` needs to reach a simulator, from its client options. */
export function sdkOptions(sim: MessagingSimulator): { domain: string; accountId: string; token: string } {
  const c = sim.clientOptions();
  return { domain: c.domain, accountId: c.accountId, token: c.bearer };
}
