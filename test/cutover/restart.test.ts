import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConversationEvent } from '../../src/model/event.js';
import { bothSimulatorsPerSuite } from '../support/simulators.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A consumer process (test/support/follow.ts) whose NDJSON output is parsed as it arrives. */
class Follower {
  readonly events: ConversationEvent[] = [];
  readonly child: ChildProcess;
  stderr = '';
  private waiters: Array<() => void> = [];

  constructor(config: unknown) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', join(root, 'test/support/follow.ts'), JSON.stringify(config)],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let buf = '';
    this.child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        this.events.push(JSON.parse(buf.slice(0, nl)) as ConversationEvent);
        buf = buf.slice(nl + 1);
      }
      for (const w of this.waiters) w();
    });
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  until(pred: (events: ConversationEvent[]) => boolean, what: string, ms = 30_000): Promise<void> {
    return new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`)),
        ms,
      );
      const check = () => {
        if (pred(this.events)) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== check);
          res();
        }
      };
      this.waiters.push(check);
      check();
    });
  }

  stop(signal: NodeJS.Signals): Promise<number | null> {
    return new Promise((res) => {
      this.child.once('exit', (code) => res(code));
      this.child.kill(signal);
    });
  }
}

const has = (events: ConversationEvent[], conv: string, pred: (e: ConversationEvent) => boolean) =>
  events.some((e) => e.conversationId === conv && pred(e));

describe('restart with the file checkpoint store (separate processes)', function () {
  this.timeout(120_000);
  const sims = bothSimulatorsPerSuite();
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'chatshift-restart-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('resumes after a graceful stop with nothing lost or duplicated, and after a crash with nothing lost', async () => {
    const config = {
      checkpoint: join(dir, 'checkpoint.json'),
      backend: 'both',
      legacy: { ...sims.legacy.clientOptions() },
      messaging: sims.messaging.clientOptions(),
    };
    const legacyKeys = Array.from({ length: 20 }, () => sims.legacy.openConversation({ waiting: true }));
    const convs = Array.from({ length: 20 }, (_, i) =>
      sims.messaging.openConversation({ consumerId: `c${i}` }),
    );
    const say = (round: string) => {
      for (const k of legacyKeys)
        if (sims.legacy.chat(k).state !== 'ended') sims.legacy.consumerSays(k, `${round} ${k}`);
      for (const c of convs)
        if (!sims.messaging.history(c).some(() => false)) sims.messaging.consumerSays(c, `${round} ${c}`);
    };
    const saidAll = (round: string) => (events: ConversationEvent[]) =>
      [...legacyKeys, ...convs].every((c) =>
        has(events, c, (e) => e.type === 'message' && e.text === `${round} ${c}`),
      );

    // Run 1, then a graceful stop.
    say('one');
    const first = new Follower(config);
    await first.until(saidAll('one'), 'run 1 to see every conversation');
    assert.equal(await first.stop('SIGTERM'), 0);

    // While no process runs: more lines, and half of the conversations close.
    say('two');
    for (const k of legacyKeys.slice(0, 10)) sims.legacy.closeConversation(k);
    for (const c of convs.slice(0, 10)) sims.messaging.closeConversation(c);

    // Run 2 catches up (including the closes it missed), then crashes mid-stream.
    const second = new Follower(config);
    await second.until(
      (ev) =>
        [...legacyKeys.slice(0, 10), ...convs.slice(0, 10)].every((c) =>
          has(ev, c, (e) => e.type === 'state' && e.state === 'closed'),
        ) &&
        [...legacyKeys.slice(10), ...convs.slice(10)].every((c) =>
          has(ev, c, (e) => e.type === 'message' && e.text === `two ${c}`),
        ),
      'run 2 to catch up',
    );
    const open = [...legacyKeys.slice(10), ...convs.slice(10)];
    for (const k of legacyKeys.slice(10)) sims.legacy.consumerSays(k, `three ${k}`);
    for (const c of convs.slice(10)) sims.messaging.consumerSays(c, `three ${c}`);
    await second.until(
      (ev) => open.some((c) => has(ev, c, (e) => e.type === 'message' && e.text === `three ${c}`)),
      'run 2 to see round three',
    );
    await second.stop('SIGKILL');

    // Run 3 after the crash: the rest closes.
    for (const k of legacyKeys.slice(10)) sims.legacy.closeConversation(k);
    for (const c of convs.slice(10)) sims.messaging.closeConversation(c);
    const third = new Follower(config);
    await third.until(
      (ev) => open.every((c) => has(ev, c, (e) => e.type === 'state' && e.state === 'closed')),
      'run 3 to see every close',
    );
    await third.stop('SIGTERM');

    // Ground truth: every wire event of every conversation arrived, in order within each run.
    const all = [...first.events, ...second.events, ...third.events];
    let lost = 0;
    for (const k of legacyKeys) {
      const got = new Set(all.filter((e) => e.conversationId === k).map((e) => e.seq));
      lost += sims.legacy.chat(k).events.filter((e) => !got.has(e.id)).length;
    }
    for (const c of convs) {
      const got = new Set(all.filter((e) => e.conversationId === c).map((e) => e.seq));
      lost += sims.messaging.history(c).filter((r) => !got.has(r['sequence'] as number)).length;
    }
    assert.equal(lost, 0, 'nothing lost across a graceful stop, a crash and two restarts');

    // Across the graceful stop: no event of run 1 appears again in run 2.
    const firstIds = new Set(first.events.map((e) => e.id));
    assert.deepEqual(
      second.events.filter((e) => firstIds.has(e.id)),
      [],
      'no duplicate after a graceful restart',
    );
    // Across the crash: only events after run 2's last checkpoint save may come again, identical.
    const secondById = new Map(second.events.map((e) => [e.id, e]));
    const replayed = third.events.filter((e) => secondById.has(e.id));
    for (const e of replayed) assert.deepEqual(e, secondById.get(e.id), 'a replayed event is identical');
    // The crash window (documented in docs/cutover.md): delivered but not yet checkpointed.
    console.log(
      `      after the crash, ${replayed.length} events were delivered again (identical ids and content)`,
    );
    for (const f of [first, second, third]) {
      const ids = f.events.map((e) => e.id);
      assert.equal(new Set(ids).size, ids.length, 'no duplicate within one run');
    }
  });
});
