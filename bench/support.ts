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
  /**
   * For a compared figure measured in interleaved rounds: `ratio` is the median of the per-round
   * ratios (chatshift and baseline of the same round), with their spread and count.
   */
  ratioStats?: RatioStats;
  note?: string;
}

/** The per-round ratios of one comparison, their median and their spread. */
export interface RatioStats {
  median: number;
  min: number;
  max: number;
  /** How many rounds (ratios) the figure rests on. */
  rounds: number;
  perRound: number[];
}

/**
 * Pairs `ours[i]` with `theirs[i]` (the same interleaved round, so the same machine load) and
 * returns the median of `ours[i] / theirs[i]` with the min–max over the rounds. Noise that hits a
 * whole round cancels in its ratio; noise that hits one contender shows up in the spread.
 */
export function ratioStats(ours: readonly number[], theirs: readonly number[]): RatioStats {
  if (ours.length !== theirs.length || ours.length === 0)
    throw new Error(`bench: ratioStats needs paired rounds (got ${ours.length} and ${theirs.length})`);
  const perRound = ours.map((a, i) => a / (theirs[i] as number));
  return {
    median: median(perRound),
    min: Math.min(...perRound),
    max: Math.max(...perRound),
    rounds: perRound.length,
    perRound,
  };
}

/**
 * A compared figure from interleaved rounds: each side's median value for the table, and as the
 * ratio the median of the per-round ratios with its spread.
 */
export function comparedFigure(f: {
  figure: string;
  unit: string;
  ours: readonly number[];
  theirs: readonly number[];
  target: string;
  /** Whether the target is met, given the median ratio and each side's median value. */
  met: (ratio: number, medians: { ours: number; theirs: number }) => boolean;
  note?: string;
}): Figure {
  const stats = ratioStats(f.ours, f.theirs);
  const ours = median(f.ours);
  const theirs = median(f.theirs);
  return {
    figure: f.figure,
    unit: f.unit,
    chatshift: ours,
    baseline: theirs,
    ratio: stats.median,
    target: f.target,
    met: f.met(stats.median, { ours, theirs }),
    rounds: { chatshift: [...f.ours], baseline: [...f.theirs] },
    ratioStats: stats,
    ...(f.note === undefined ? {} : { note: f.note }),
  };
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
 * shared machine hit every contender alike, after one uncounted warm-up run of each. Returns each
 * contender's per-round results.
 */
export async function interleave<K extends string, R>(
  rounds: number,
  contenders: Record<K, () => Promise<R>>,
  onResult?: (name: K, round: number, r: R) => void,
  {
    warmUp = true,
  }: {
    /**
     * One uncounted run of each contender first (default): the first round otherwise measures the
     * JIT compiling whoever runs first (chatshift's first round was 20-30 % below its others). Off
     * for contenders that run each in a fresh process (bench/isolated.ts) and warm up inside it.
     */
    warmUp?: boolean;
  } = {},
): Promise<Record<K, R[]>> {
  const names = Object.keys(contenders) as K[];
  const out = Object.fromEntries(names.map((n) => [n, [] as R[]])) as Record<K, R[]>;
  if (warmUp) for (const name of names) await contenders[name]();
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

/** A full garbage collection when node runs with --expose-gc (as `npm run bench` does); else nothing. */
export function fullGc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
