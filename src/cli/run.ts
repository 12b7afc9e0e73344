import { readFile } from 'node:fs/promises';
import { ChatshiftError } from '../errors.js';
import { describeError, runTail } from './tail.js';
import { demoHelp, runDemo } from './demo.js';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
}

export const helpText = `chatshift: one stream of LivePerson conversation events, from the legacy Chat Agent API,
the Messaging agent WebSocket, or both, switched by a feature flag.

Usage:
  chatshift [demo] [options]   run the self-contained demo on embedded simulators (the default)
  chatshift tail [options]     follow real endpoints (see 'chatshift tail --help')
  chatshift --help             show this help
  chatshift --version          print the version

${demoHelp}
Exit codes: 0 success, 1 runtime failure (a coded error is printed), 2 usage error,
130 interrupted before the demo finished.
`;

/** Runs the CLI with the given arguments; returns the exit code. The composition root. */
export async function runCli(argv: readonly string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const stop = signal ?? new AbortController().signal;
  const [first, ...rest] = argv;
  try {
    if (first === '--help' || first === '-h' || first === 'help') {
      io.stdout.write(helpText);
      return 0;
    }
    if (first === '--version' || first === '-v') {
      io.stdout.write(`${await packageVersion()}\n`);
      return 0;
    }
    if (first === 'tail') return await runTail(rest, io, stop);
    if (first === 'demo') return await runDemo(rest, io, stop);
    if (first === undefined || first.startsWith('--')) return await runDemo(argv, io, stop);
    throw new ChatshiftError('ERR_USAGE', `unknown command: ${first}`);
  } catch (e) {
    if (isUsageError(e)) {
      io.stderr.write(`chatshift: ${e instanceof Error ? e.message : String(e)}\n`);
      io.stderr.write(`Run 'chatshift ${first === 'tail' ? 'tail ' : ''}--help' for usage.\n`);
      return 2;
    }
    io.stderr.write(`chatshift: ${describeError(e)}\n`);
    return 1;
  }
}

function isUsageError(e: unknown): boolean {
  if (e instanceof ChatshiftError)
    return e.code === 'ERR_USAGE' || e.code === 'ERR_INVALID_OPTIONS' || e.code === 'ERR_INSECURE_TRANSPORT';
  // node:util parseArgs throws TypeErrors coded ERR_PARSE_ARGS_*
  return (
    typeof (e as { code?: unknown })?.code === 'string' &&
    (e as { code: string }).code.startsWith('ERR_PARSE_ARGS')
  );
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
