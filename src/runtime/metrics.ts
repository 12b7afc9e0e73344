/**
 * A counter sink, so operators can watch a source without parsing logs. Counter names used by
 * chatshift (docs/architecture.md lists them all):
 *
 * - `http.requests`     HTTP requests sent (legacy)
 * - `ws.frames.in`      WebSocket frames received, `ws.frames.out` sent (messaging)
 * - `ws.connects`       sockets opened, `reconnects` reconnect attempts
 * - `retries`           failed requests that will be retried
 * - `events.emitted`    events delivered downstream
 * - `events.duplicates` wire events dropped as already delivered
 * - `items.invalid`     wire items skipped as malformed or schema-invalid
 * - `gaps`              sequence holes detected (then backfilled or confirmed empty)
 * - `cutover.duplicates` events conversationEvents' safety-net dedupe dropped (a source bug if ever > 0)
 */
export interface Metrics {
  increment(name: string, by?: number): void;
}

export const noopMetrics: Metrics = { increment: () => {} };

/** A simple in-memory counter set; `snapshot()` returns the current values. */
export function counterMetrics(): Metrics & { snapshot(): Record<string, number> } {
  const counts = new Map<string, number>();
  return {
    increment(name, by = 1) {
      counts.set(name, (counts.get(name) ?? 0) + by);
    },
    snapshot: () => Object.fromEntries(counts),
  };
}
