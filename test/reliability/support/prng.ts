/** mulberry32: a tiny seeded PRNG, so a failing fault run can be replayed with `SEED=…`. */
export interface Rng {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    seed,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (items) => items[Math.floor(next() * items.length)] as (typeof items)[number],
    chance: (p) => next() < p,
  };
}

/** The run's seed: `SEED` from the environment, else a random one. Printed so a failure can be rerun. */
export function runSeed(label: string): number {
  const fromEnv = Number(process.env['SEED']);
  const seed = Number.isInteger(fromEnv) && process.env['SEED'] !== '' ? fromEnv >>> 0 : randomSeed();
  console.log('reliability seed', seed, `(${label}; rerun with SEED=${seed} npm run reliability)`);
  return seed;
}

function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 32) >>> 0;
}
