// Waiting in tests: the one sleep and the one polling wait every test uses.

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `cond` every 5 ms until it holds; fails after `timeoutMs` with `what` (a function is
 * called then, so the message can show the state at the time).
 */
export async function waitFor(
  cond: () => boolean,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await sleep(5);
  }
}
