import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent } from 'undici';
import { LegacyChatSimulator, legacyChatSource } from '../../../adapters/legacy-chat/index.js';
import { collect, fast, seqsOf } from './helpers.js';
import { sleep, waitFor } from '../../support/wait.js';

describe('legacyChatSource teardown', () => {
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start();
  });
  afterEach(async () => {
    await sim.close();
  });

  it('unsubscribing aborts the request in flight and stops every timer', async () => {
    const key = sim.openConversation();
    const dispatcher = new Agent();
    const run = collect(
      legacyChatSource({
        ...sim.clientOptions(),
        chats: [key],
        dispatcher,
        ...fast,
      }),
    );
    await waitFor(() => seqsOf(run.events, key).length === 4, 'opening');
    sim.faults.queue({ hang: true });
    await waitFor(() => sim.inFlight === 1, 'a hanging poll');
    run.sub.unsubscribe();
    await waitFor(() => sim.inFlight === 0, 'the hanging request to be aborted');
    const count = sim.requests.length;
    await sleep(fast.pollIntervalMs * 6);
    assert.equal(sim.requests.length, count);
    assert.equal(run.error, undefined);
    await dispatcher.close();
  });

  it('leaves nothing that keeps the process alive after unsubscribe (child process exits by itself)', async function () {
    this.timeout(15_000);
    const key = sim.openConversation();
    // The poll after the first one hangs, so the child unsubscribes with a request in flight.
    sim.faults.queue({ delayMs: 0 }, { times: 1 });
    sim.faults.queue({ hang: true }, { times: 1 });
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./support/subscribe-then-unsubscribe.ts', import.meta.url)),
        JSON.stringify(sim.clientOptions()),
        key,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill(), 12_000);
    const code = await exit;
    clearTimeout(timer);
    assert.match(out, /unsubscribed/);
    assert.equal(code, 0, `child did not exit cleanly: ${out}`);
    assert.ok(sim.multiChatRequests().length >= 1);
  });
});
