#!/usr/bin/env node
import { runCli } from './run.js';

const stop = new AbortController();
let interrupts = 0;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    // The first signal stops gracefully (summary printed); a second one exits at once.
    if (++interrupts > 1) process.exit(130);
    stop.abort();
  });
}

process.exitCode = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  stop.signal,
);
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
