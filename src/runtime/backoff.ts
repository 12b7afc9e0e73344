/** Retry and reconnect timing. Every field is optional, with the default named on each field. */
export interface BackoffOptions {
  /** First delay in ms. Default 5000 (LivePerson: retry at 5, 10, 15 s). */
  initialMs?: number;
  /** Cap on any delay in ms. Default 120000 (LivePerson: then every 2 min). */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of each delay randomised away, 0..1 ("full jitter" is 1). Default 0.2. */
  jitter?: number;
  /** Give up after this many consecutive failures; default Infinity (never stop silently). */
  maxAttempts?: number;
}

export type ResolvedBackoff = Required<BackoffOptions>;

export function resolveBackoff(o: BackoffOptions | undefined): ResolvedBackoff {
  return {
    initialMs: o?.initialMs ?? 5000,
    maxMs: o?.maxMs ?? 120_000,
    factor: o?.factor ?? 2,
    jitter: Math.min(1, Math.max(0, o?.jitter ?? 0.2)),
    maxAttempts: o?.maxAttempts ?? Number.POSITIVE_INFINITY,
  };
}

/**
 * Delay before retry number `attempt` (0-based): `initialMs * factor^attempt`, capped at `maxMs`,
 * then reduced by up to `jitter` of itself so that many clients do not retry in lockstep.
 * A pure function: `random` is injected so tests can pin it.
 */
export function backoffDelay(
  attempt: number,
  b: ResolvedBackoff,
  random: () => number = Math.random,
): number {
  const base = Math.min(b.maxMs, b.initialMs * Math.pow(b.factor, Math.max(0, attempt)));
  return Math.max(0, Math.round(base * (1 - b.jitter * random())));
}
