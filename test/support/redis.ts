// A real redis-server for tests: started in a temp dir on a unix socket, stopped after.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { sleep } from './wait.js';

/** The redis-server binary on PATH, or undefined. */
export function redisServerBinary(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path.length > 0 ? path : undefined;
}

const skipped: string[] = [];
let announced = false;

/**
 * `describe` for suites that need a real redis-server. Without one: under `CI=true` the suite
 * fails (never a silent skip); elsewhere it is skipped and, once per run, one line says which
 * suites were skipped and how to install it.
 */
export function describeWithRedis(title: string, fn: (this: Mocha.Suite) => void): void {
  if (redisServerBinary() !== undefined) {
    describe(title, fn);
    return;
  }
  if (process.env['CI'] === 'true') {
    describe(title, () => {
      it('needs redis-server (CI=true: a missing redis-server is a failure)', () => {
        throw new Error('redis-server is not installed: apt-get install redis-server');
      });
    });
    return;
  }
  skipped.push(title);
  describe.skip(title, fn);
  if (!announced) {
    announced = true;
    process.once('exit', () =>
      process.stderr.write(
        `SKIPPED (no redis-server on PATH): ${skipped.join('; ')} — install it with: apt-get install redis-server\n`,
      ),
    );
  }
}

/** A node-redis client as `RedisServer.client()` makes it. */
export type TestRedisClient = ReturnType<typeof createClient>;

/** Options of {@link RedisServer.start}. */
export interface RedisServerOptions {
  /** Append-only file on (with `appendfsync always`), for restart scenarios. Default false. */
  appendonly?: boolean;
}

/** A redis-server child process on a unix socket in its own temp dir. */
export class RedisServer {
  private child: ChildProcess | undefined;
  private constructor(
    readonly dir: string,
    readonly socketPath: string,
    private readonly opts: RedisServerOptions,
  ) {}

  /** Starts redis-server (`maxmemory-policy noeviction`, no RDB snapshots) and waits until it answers. */
  static async start(opts: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), 'chatshift-redis-'));
    const s = new RedisServer(dir, join(dir, 'redis.sock'), opts);
    await s.spawn();
    return s;
  }

  /** `{ socket: { path } }` for node-redis `createClient`. */
  clientOptions(): { socket: { path: string; tls: false } } {
    return { socket: { path: this.socketPath, tls: false } };
  }

  /** A connected node-redis client; the caller closes it. */
  async client(): Promise<TestRedisClient> {
    const c = createClient(this.clientOptions());
    c.on('error', () => {}); // reconnects on its own; tests observe outcomes, not this noise
    await c.connect();
    return c;
  }

  /** The process id (for SIGSTOP/SIGKILL scenarios). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the server (SIGTERM: with AOF on, everything written is kept) and starts it again on the same socket. */
  async restart(): Promise<void> {
    await this.stopProcess();
    await this.spawn();
  }

  /** Stops the server and removes its directory. */
  async stop(): Promise<void> {
    await this.stopProcess();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async spawn(): Promise<void> {
    const bin = redisServerBinary();
    if (bin === undefined) throw new Error('redis-server is not installed: apt-get install redis-server');
    const args = [
      '--port',
      '0',
      '--unixsocket',
      this.socketPath,
      '--unixsocketperm',
      '700',
      '--dir',
      this.dir,
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--appendonly',
      this.opts.appendonly === true ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--loglevel',
      'warning',
    ];
    const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    this.child = child;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      if (await answers(this.socketPath)) return;
      if (Date.now() > deadline) throw new Error('redis-server did not start within 10 s');
      await sleep(10);
    }
  }

  private async stopProcess(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGCONT'); // a paused server cannot exit
    child.kill('SIGTERM');
    await exited;
  }
}

/** True when a PING on the socket gets PONG. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(path);
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}
