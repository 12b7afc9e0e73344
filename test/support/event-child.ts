// A test's consumer in a child process: a script under test/ that writes each event it finished
// to stdout as NDJSON (and whatever it reports to stderr). The kill -9 / SIGTERM restart tests
// run two in turn on one checkpoint.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConversationEvent } from '../../src/model/event.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const running = new Set<ChildProcess>();

export class EventChild {
  readonly events: ConversationEvent[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private buffered = '';

  /** Starts `script` (a path from the project root) with `config` as JSON in argv[2]. */
  constructor(script: string, config: unknown) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(root, script), JSON.stringify(config)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.buffered += d.toString();
      const lines = this.buffered.split('\n');
      this.buffered = lines.pop() ?? '';
      for (const l of lines) if (l.trim() !== '') this.events.push(JSON.parse(l) as ConversationEvent);
    });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    running.add(this.child);
    this.exited = new Promise((r) =>
      this.child.on('exit', (code) => {
        running.delete(this.child);
        r(code);
      }),
    );
  }

  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null> {
    this.child.kill(signal);
    return this.exited;
  }

  /** Kills every child still running (an afterEach: a failed test must not leave one behind). */
  static killAll(): void {
    for (const child of running) child.kill('SIGKILL');
  }
}
