import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { IsolatedRequest } from './isolated-child.js';

const CHILD_TIMEOUT_MS = 300_000;

/**
 * One run of one contender in a fresh process (bench/isolated-child.ts), as an application runs
 * it: alone. In one shared process, the contenders of a comparison share the JIT's type feedback
 * (the same `ws` and `undici` code, megamorphic once three clients have used it) and a heap the
 * others have filled, and whoever comes later pays for what the earlier ones left behind.
 */
export function isolatedRun<R>(req: IsolatedRequest): Promise<R> {
  return new Promise<R>((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./isolated-child.ts', import.meta.url)), [], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let settled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() =>
        reject(new Error(`bench: ${req.kind} ${req.who} gave no result within ${CHILD_TIMEOUT_MS} ms`)),
      );
    }, CHILD_TIMEOUT_MS);
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    child.once('message', (m: { ok?: R; error?: string }) =>
      finish(() => (m.error === undefined ? resolve(m.ok as R) : reject(new Error(m.error)))),
    );
    child.once('error', (e) => finish(() => reject(e)));
    child.once('exit', (code, signal) =>
      finish(() =>
        reject(new Error(`bench: ${req.kind} ${req.who} exited (${code ?? signal}) without a result`)),
      ),
    );
    child.send(req);
  });
}
