import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { decodeConversationEvent } from '../../src/model/decode.js';
import { runCliUntil as cli, spawnCli } from '../support/cli.js';

describe('chatshift CLI', function () {
  this.timeout(90_000);

  it('--help documents the demo, tail and the exit codes, and exits 0', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const s of ['chatshift [demo]', 'chatshift tail', '--json', 'Exit codes'])
      assert.ok(r.stdout.includes(s), s);
    const t = await cli(['tail', '--help']);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /--bearer-env NAME/);
  });

  it('exits 2 with a clear message on usage errors', async () => {
    for (const args of [
      ['frobnicate'],
      ['--nope'],
      ['tail', '--backend', 'sms', '--bearer-env', 'X'],
      ['tail', '--backend', 'legacy-chat'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^chatshift: .+\nRun 'chatshift (tail )?--help' for usage\.\n$/);
    }
    const missing = await cli([
      'tail',
      '--backend',
      'legacy-chat',
      '--bearer-env',
      'LP_TOKEN',
      '--legacy-session',
      'http://127.0.0.1:9/x',
    ]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /LP_TOKEN is empty or not set/);
  });

  it('the demo streams valid NDJSON through legacy-chat -> both -> messaging and ends with zero gaps', async () => {
    const r = await cli(['--json', '--duration-s', '4', '--conversations', '10', '--seed', '7']);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    for (const e of events) assert.equal(decodeConversationEvent(e)._tag, 'Right', JSON.stringify(e));
    const backends = new Set(events.map((e) => (e as { backend: string }).backend));
    assert.deepEqual([...backends].sort(), ['legacy-chat', 'messaging']);
    const ids = events.map((e) => (e as { id: string }).id);
    assert.equal(new Set(ids).size, ids.length, 'no event twice');
    const summaryLine = r.stderr.trim().split('\n').at(-1) ?? '';
    const { summary } = JSON.parse(summaryLine) as {
      summary: {
        gaps: number;
        outOfOrder: number;
        decisions: string[];
        httpRequests: number;
        wsFrames: { in: number };
        bot: { answered: number };
      };
    };
    assert.equal(summary.gaps, 0);
    assert.ok(summary.bot.answered > 0, 'the demo bot answered through conversationActions');
    assert.equal(summary.outOfOrder, 0);
    assert.ok(summary.httpRequests > 0 && summary.wsFrames.in > 0);
    assert.deepEqual(
      summary.decisions.map((d) => d.split(':')[0]),
      ['start legacy-chat', 'start messaging', 'drain legacy-chat', 'stopped legacy-chat'],
    );
  });

  it('tail follows a real endpoint, reads the token only from the named variable, and never prints it', async () => {
    const secret = 'tail-secret-token-9f3a';
    const sim = await LegacyChatSimulator.start({ bearer: secret });
    try {
      const key = sim.openConversation();
      sim.consumerSays(key, 'hello from the visitor');
      const r = await cli(
        [
          'tail',
          '--backend',
          'legacy-chat',
          '--bearer-env',
          'LP_BEARER',
          '--legacy-session',
          sim.agentSessionUrl,
          '--chats',
          key,
          '--poll-interval-ms',
          '50',
          '--json',
        ],
        { LP_BEARER: secret },
        /hello from the visitor/,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /hello from the visitor/);
      assert.match(r.stderr, /summary: .*"httpRequests":[1-9]/);
      assert.ok(
        !r.stdout.includes(secret) && !r.stderr.includes(secret),
        'the bearer never reaches the output',
      );
    } finally {
      await sim.close();
    }
  });

  it('tail reports a rejected token as a coded error and exit code 1, without printing it', async () => {
    const sim = await LegacyChatSimulator.start({ bearer: 'the-right-one' });
    try {
      const secret = 'wrong-token-77aa';
      const r = await cli(
        [
          'tail',
          '--backend',
          'legacy-chat',
          '--bearer-env',
          'LP_BEARER',
          '--legacy-session',
          sim.agentSessionUrl,
          '--chats',
          sim.openConversation(),
          '--poll-interval-ms',
          '50',
        ],
        { LP_BEARER: secret },
      );
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /ERR_AUTH_REJECTED/);
      assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
    } finally {
      await sim.close();
    }
  });

  it('an option the CLI passes on from its own arguments is a usage error: exit 2 (#15)', async () => {
    const r = await cli(
      [
        'tail',
        '--backend',
        'messaging',
        '--bearer-env',
        'X',
        '--messaging-domain',
        '127.0.0.1:99999',
        '--account',
        '1',
      ],
      { X: 'secret-token-for-usage' },
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^chatshift: .*domain.*\nRun 'chatshift tail --help' for usage\.\n$/);
    assert.ok(!r.stderr.includes('secret-token-for-usage'));
  });

  it('piped into a reader that goes away (head): no crash, and the checkpoint is written (#15)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chatshift-cli-'));
    const sim = await LegacyChatSimulator.start();
    try {
      const key = sim.openConversation();
      for (let i = 0; i < 50; i++) sim.consumerSays(key, `line ${i}`);
      const checkpoint = join(dir, 'cp.json');
      const child = spawnCli(
        [
          'tail',
          '--backend',
          'legacy-chat',
          '--bearer-env',
          'B',
          '--legacy-session',
          sim.agentSessionUrl,
          '--chats',
          key,
          '--poll-interval-ms',
          '20',
          '--json',
          '--checkpoint',
          checkpoint,
        ],
        { B: sim.clientOptions().bearer },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Like `head -1`: read one line, then close the pipe; the events still to come hit EPIPE.
      await new Promise<void>((res) => child.stdout.once('data', () => res()));
      child.stdout.destroy();
      const keepTalking = setInterval(() => sim.consumerSays(key, 'more'), 20);
      const code = await new Promise<number | null>((res) => {
        const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('close', (c) => {
          clearTimeout(guard);
          res(c);
        });
      });
      clearInterval(keepTalking);
      assert.doesNotMatch(stderr, /EPIPE.*\n\s+at |Unhandled|node:events/, stderr);
      assert.equal(code, 0, stderr);
      assert.ok(existsSync(checkpoint), 'the checkpoint was written');
      const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as {
        backends: Record<string, Record<string, { seq: number }>>;
      };
      assert.ok((saved.backends['legacy-chat']?.[key]?.seq ?? -1) >= 0, JSON.stringify(saved));
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the demo piped into a reader that goes away (head) ends quietly with exit 0 (#15)', async () => {
    const child = spawnCli(['--json', '--duration-s', '4', '--conversations', '10', '--seed', '7']);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    child.stdout.destroy();
    const started = Date.now();
    const code = await new Promise<number | null>((res) => {
      const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.on('close', (c) => {
        clearTimeout(guard);
        res(c);
      });
    });
    assert.doesNotMatch(stderr, /EPIPE|node:events|\n\s+at /, stderr);
    assert.equal(code, 0, stderr);
    assert.ok(Date.now() - started < 3000, 'stopped once its output was gone, not at the end of the demo');
  });

  it('SIGINT against a server that ignores the close frame exits promptly, not after 30 s (#15)', async () => {
    // A real WebSocket server on loopback that completes the handshake, then never answers anything
    // (not even the close frame).
    const server = createServer();
    const sockets = new Set<Socket>();
    let upgraded = (): void => undefined;
    const firstUpgrade = new Promise<void>((res) => (upgraded = res));
    server.on('upgrade', (req, socket: Socket) => {
      sockets.add(socket);
      const accept = createHash('sha1')
        .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
        .digest('base64');
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
      );
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      upgraded();
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const { port } = server.address() as AddressInfo;
    try {
      const child = spawnCli(
        [
          'tail',
          '--backend',
          'messaging',
          '--bearer-env',
          'B',
          '--messaging-domain',
          `127.0.0.1:${port}`,
          '--account',
          '1',
        ],
        { B: 'some-bearer-value' },
      );
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await firstUpgrade;
      await new Promise((r) => setTimeout(r, 300));
      const started = Date.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((res) => {
        const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
        child.on('close', (c) => {
          clearTimeout(guard);
          res(c);
        });
      });
      const took = Date.now() - started;
      assert.ok(took < 5000, `exited ${took} ms after SIGINT`);
      assert.equal(code, 0, stderr);
      assert.ok(!stderr.includes('some-bearer-value'));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    }
  });
});
