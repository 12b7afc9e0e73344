import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { progress } from './support.js';

/**
 * Runs `fn` with this whole process (every thread: the main one, V8's compiler and GC helpers,
 * libuv's pool) bound to one CPU, then gives back the affinity it had. Linux only, through
 * `taskset` (util-linux, on every Debian system); elsewhere, or when `cpu` is `undefined`, `fn`
 * runs as it is. Says which CPU it ran bound to, if any.
 *
 * Why: on the 2-vCPU VMs this bench runs on, each vCPU goes through fast and slow phases of its
 * own (presumably the host's other tenants): the same contender, run 10 times in a row bound to
 * each, measured ~205k msg/s on one vCPU and ~305k on the other (minutes later the first one was
 * fast too), and an unbound process moves between them, so two contenders of one round were
 * often measured at different speeds (rounds of 0.5 and 1.6). Bound, 10 runs in a row spread by
 * about ±7 %. Every contender of a comparison runs on the same CPU, so the ratios compare like
 * with like; the in-process simulator and V8's background threads then share that CPU with the
 * client, which the per-CPU-second figures counted anyway.
 */
export async function onOneCpu<T>(
  cpu: number | undefined,
  fn: () => Promise<T>,
): Promise<{ result: T; boundTo: number | undefined }> {
  if (cpu === undefined || process.platform !== 'linux') return { result: await fn(), boundTo: undefined };
  const pid = String(process.pid);
  let before: string;
  try {
    // "pid 123's current affinity list: 0,1"
    before = execFileSync('taskset', ['-c', '-p', pid], { encoding: 'utf8' }).trim().split(': ').pop() ?? '';
    execFileSync('taskset', ['-a', '-c', '-p', String(cpu), pid], { stdio: 'ignore' });
  } catch (e) {
    progress(
      `  not bound to CPU ${cpu} (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): figures spread more`,
    );
    return { result: await fn(), boundTo: undefined };
  }
  try {
    return { result: await fn(), boundTo: cpu };
  } finally {
    try {
      execFileSync('taskset', ['-a', '-c', '-p', before, pid], { stdio: 'ignore' });
    } catch {
      progress(`  could not give back the CPU affinity ${before}: later sections stay on CPU ${cpu}`);
    }
  }
}

/** The default CPU to bind to: the last one (any fixed one would do: `--cpu` picks another). */
export const defaultBenchCpu = (): number => Math.max(0, cpus().length - 1);
