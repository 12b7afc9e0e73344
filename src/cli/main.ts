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

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  stop.signal,
);
process.exitCode = code;
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');
// The checkpoint is saved and the summary written: nothing left is worth waiting for. A server that
// ignores the WebSocket close frame would otherwise hold the process for the 30 s close timeout.
setTimeout(() => process.exit(code), 200).unref();
