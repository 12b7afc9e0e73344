import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { asyncScheduler } from 'rxjs';
import { ShardLease, type RedisClientLike } from '../../../adapters/redis/index.js';
import { withTimeout } from '../../../adapters/redis/client.js';
import { guardedScheduler } from '../../../adapters/redis/guarded-scheduler.js';
import type { ChatshiftError } from '../../../src/errors.js';
import { RawRedis } from '../../support/raw-redis.js';
import { describeWithRedis, RedisServer } from '../../support/redis.js';
import { sleep, waitFor } from '../../support/wait.js';

// A stalled event loop (a long GC pause, a starved CPU on a loaded machine). When it wakes, Node
// runs the timers that fell due *before* it reads the replies that arrived meanwhile: a deadline
// judged in the timer itself fails a command whose answer is already waiting. These tests stall
// the loop synchronously until the server has answered, then check the answer wins.

/** How many `cmd` calls the server has executed (INFO commandstats, read synchronously). */
function serverCalls(server: RedisServer, cmd: string): number {
  const r = spawnSync('redis-cli', ['-s', server.socketPath, 'INFO', 'commandstats'], { encoding: 'utf8' });
  const m = new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(r.stdout);
  return m === null ? 0 : Number(m[1]);
}

/** Blocks the event loop until `done()` holds (at most 20 s). */
function stallUntil(done: () => boolean): void {
  const end = Date.now() + 20_000;
  while (!done() && Date.now() < end) spawnSync('sleep', ['0.01']);
}

describeWithRedis('Redis deadlines after a stalled event loop', function () {
  this.timeout(30_000);
  let server: RedisServer;
  // A client whose commands leave at once, so the stall below starts after they were sent.
  let client: RawRedis;
  before(async () => {
    server = await RedisServer.start();
    client = await RawRedis.open(server.socketPath);
  });
  after(async () => {
    client?.close();
    await server?.stop();
  });

  it('withTimeout: an answer that arrived during the stall wins over the deadline that passed', async () => {
    const before = serverCalls(server, 'ping');
    const t0 = Date.now();
    const reply = withTimeout(client.sendCommand(['PING']), 50, 'ping');
    // Sent (this client writes at once); the server answers and the deadline passes, both during
    // the stall.
    stallUntil(() => serverCalls(server, 'ping') > before && Date.now() - t0 > 200);
    assert.equal(await reply, 'PONG');
  });

  it('a lease whose renewal was confirmed during the stall is kept, and the work due meanwhile runs', async () => {
    const lost: ChatshiftError[] = [];
    let renewals = 0;
    let stalled = false;
    const ran: number[] = [];
    // Made below; the client wrapper reaches them once the lease runs.
    const made: { lease?: ShardLease; scheduler?: ReturnType<typeof guardedScheduler> } = {};
    const wrapped: RedisClientLike = {
      sendCommand: (args) => {
        // RENEW is the one script with two keys and two arguments.
        const renew = args[0]?.startsWith('EVAL') === true && args[2] === '2' && args.length === 7;
        const before = renew ? serverCalls(server, 'evalsha') + serverCalls(server, 'eval') : 0;
        const p = client.sendCommand(args);
        // The second RENEW command: the first renewal's EVAL (after its EVALSHA got NOSCRIPT) or
        // the second renewal; either way the lease's window then rests on an earlier send.
        if (renew && ++renewals === 2) {
          // A poll timer falling due during the stall.
          made.scheduler!.schedule(() => void ran.push(1), 1);
          // Stall until the server has executed this renewal and the window of the previous one
          // has passed: the lease's own check (and a poll timer) then falls due before the
          // renewal's answer is read.
          stallUntil(
            () =>
              serverCalls(server, 'evalsha') + serverCalls(server, 'eval') > before && !made.lease!.held(),
          );
          stalled = true;
        }
        return p;
      },
    };
    const lease = new ShardLease(wrapped, {
      shard: 'stall',
      owner: 'a',
      ttlMs: 2000,
      prefix: 'chatshift',
      onLost: (e) => lost.push(e),
    });
    made.lease = lease;
    made.scheduler = guardedScheduler(asyncScheduler, lease);
    try {
      await lease.acquire();
      await waitFor(() => stalled, 'the stall after the second renewal');
      await waitFor(() => ran.length > 0 || lost.length > 0, 'the poll timer to run or the lease to be lost');
      await sleep(50);
      assert.deepEqual(
        lost.map((e) => e.message),
        [],
      );
      assert.deepEqual(ran, [1]);
      assert.ok(lease.valid());
    } finally {
      await lease.release().catch(() => {});
    }
  });
});
