// A root hook: a test run that keeps the process alive after its last test (a runner, socket,
// timer or child process a failed test never stopped) fails loudly instead of hanging CI. Mocha
// runs with `exit: false`, so a clean run exits by itself once every handle is closed; this
// guard only ever fires when something leaked, and then names what is still open.
const graceMs = Number(process.env['CHATSHIFT_TEST_EXIT_GRACE_MS'] ?? 20_000);

export const mochaHooks = {
  afterAll(): void {
    const timer = setTimeout(() => {
      const tally = new Map<string, number>();
      for (const r of process.getActiveResourcesInfo()) tally.set(r, (tally.get(r) ?? 0) + 1);
      const open = [...tally].map(([r, n]) => `${r} x${n}`);
      process.stderr.write(
        `\nchatshift tests: the process did not exit ${graceMs} ms after the last test; ` +
          `still open: ${open.join(', ') || '(nothing reported)'}. A test leaked a handle ` +
          '(run the failing file alone to find it). Exiting with code 1.\n',
      );
      // Mocha's own exit listener sets the exit code to the failure count; this one runs after it.
      process.on('exit', () => {
        process.exitCode = 1;
      });
      process.exit(1);
    }, graceMs);
    timer.unref();
  },
};
