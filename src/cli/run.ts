import { readFile } from 'node:fs/promises';
import { ChatshiftError } from '../errors.js';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

export const helpText = `chatshift: one stream of LivePerson conversation events, legacy chat or messaging.

Usage:
  chatshift [demo] [--json]      run the self-contained demo on embedded simulators (default)
  chatshift --help               show this help
  chatshift --version            print the version

Exit codes: 0 success, 1 runtime failure, 2 usage error.
`;

/** Runs the CLI with the given arguments; returns the exit code. The composition root. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.stdout.write(helpText);
    return 0;
  }
  if (command === '--version') {
    io.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  const err = new ChatshiftError('ERR_USAGE', `unknown command or flag: ${command}`);
  io.stderr.write(`chatshift: ${err.message} (${err.code})\nRun 'chatshift --help' for usage.\n`);
  return 2;
}

// The CLI runs from src/ (tsx) or dist/src/ (built): walk up to the package's own package.json.
async function packageVersion(): Promise<string> {
  for (let dir = new URL('.', import.meta.url); dir.pathname !== '/'; dir = new URL('..', dir)) {
    try {
      const pkg = JSON.parse(await readFile(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'chatshift' && pkg.version !== undefined) return pkg.version;
    } catch {
      // not here; keep walking
    }
  }
  return 'unknown';
}
