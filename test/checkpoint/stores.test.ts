import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileCheckpointStore } from '../../src/checkpoint/file.js';
import { memoryCheckpointStore } from '../../src/checkpoint/memory.js';
import type { CheckpointStore } from '../../src/checkpoint/store.js';
import { isChatshiftError } from '../../src/errors.js';
import { lastValueFrom } from 'rxjs';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { redisCheckpointStore } from '../../adapters/redis/index.js';
import { describeWithRedis, RedisServer, type TestRedisClient } from '../support/redis.js';

function behavesAsAStore(make: () => CheckpointStore) {
  it('starts empty, merges changes per backend, deletes on null, and returns copies', async () => {
    const s = make();
    assert.deepEqual(await s.load('messaging'), {});
    await s.save('messaging', { a: { seq: 3 }, b: { seq: 1, meta: { state: 'open' } } });
    await s.save('legacy-chat', { a: { seq: 9 } });
    await s.save('messaging', { a: { seq: 5, closed: true }, b: null });
    const m = await s.load('messaging');
    assert.deepEqual(m, { a: { seq: 5, closed: true } });
    assert.deepEqual(await s.load('legacy-chat'), { a: { seq: 9 } });
    (m.a as { seq: number }).seq = 100;
    assert.equal((await s.load('messaging')).a?.seq, 5);
  });
}

describe('memoryCheckpointStore', () => behavesAsAStore(memoryCheckpointStore));

describeWithRedis('redisCheckpointStore (the same conformance suite)', function () {
  this.timeout(20_000);
  let server: RedisServer;
  let client: TestRedisClient;
  let n = 0;
  before(async () => {
    server = await RedisServer.start();
    client = await server.client();
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });
  behavesAsAStore(() => redisCheckpointStore(client, { shard: `conformance-${++n}`, epoch: 1 }));
  behavesAsAStore(() => redisCheckpointStore(client, { shard: `unfenced-${++n}` }));
});

describe('fileCheckpointStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'chatshift-cp-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  behavesAsAStore(() => fileCheckpointStore(join(dir, `cp-${Math.random()}.json`), { fsync: false }));

  it('persists across store instances (a restart)', async () => {
    const path = join(dir, 'cp.json');
    await fileCheckpointStore(path).save('legacy-chat', {
      k1: { seq: 42, meta: { typing: { visitor: true } } },
    });
    assert.deepEqual(await fileCheckpointStore(path).load('legacy-chat'), {
      k1: { seq: 42, meta: { typing: { visitor: true } } },
    });
  });

  it('reports a corrupt file as ERR_CHECKPOINT_CORRUPT instead of resetting it', async () => {
    const path = join(dir, 'cp.json');
    for (const text of [
      '{"version":1,"backends":{"messaging":{"a":{"seq":',
      '{"version":2,"backends":{}}',
      '[]',
    ]) {
      writeFileSync(path, text);
      await assert.rejects(fileCheckpointStore(path).load('messaging'), (e: unknown) =>
        isChatshiftError(e, 'ERR_CHECKPOINT_CORRUPT'),
      );
    }
  });

  it('refuses a folder that does not exist at construction (ERR_INVALID_OPTIONS, #14)', () => {
    assert.throws(
      () => fileCheckpointStore(join(dir, 'missing-folder', 'cp.json')),
      (e: unknown) =>
        isChatshiftError(e, 'ERR_INVALID_OPTIONS') && /missing-folder does not exist/.test(String(e)),
    );
  });

  it('reports an unwritable location as ERR_CHECKPOINT_IO (its folder removed after construction)', async () => {
    const folder = join(dir, 'gone');
    mkdirSync(folder);
    const s = fileCheckpointStore(join(folder, 'cp.json'), { fsync: false });
    rmSync(folder, { recursive: true });
    await assert.rejects(s.save('messaging', { a: { seq: 1 } }), (e: unknown) =>
      isChatshiftError(e, 'ERR_CHECKPOINT_IO'),
    );
  });

  it('serialises concurrent saves so none is lost', async () => {
    const path = join(dir, 'cp.json');
    const s = fileCheckpointStore(path, { fsync: false });
    await Promise.all(Array.from({ length: 50 }, (_, i) => s.save('messaging', { [`c${i}`]: { seq: i } })));
    const loaded = await fileCheckpointStore(path).load('messaging');
    assert.equal(Object.keys(loaded).length, 50);
  });

  it('survives a process killed mid-write: the file is always the old or a new complete version', async function () {
    const path = join(dir, 'cp.json');
    const script = `
      const { fileCheckpointStore } = await import(${JSON.stringify(new URL('../../src/checkpoint/file.ts', import.meta.url).href)});
      const s = fileCheckpointStore(${JSON.stringify(path)});
      const big = 'x'.repeat(20000);
      for (let i = 0; ; i++) { await s.save('messaging', { ['c' + (i % 200)]: { seq: i, meta: { big } } }); if (i === 3) process.stdout.write('go\\n'); }
    `;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 20 + round * 15));
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const loaded = await fileCheckpointStore(path).load('messaging');
      assert.ok(Object.keys(loaded).length >= 4, `round ${round}: a complete file was read`);
      assert.deepEqual(
        readdirSync(dir).filter((n) => n.endsWith('.tmp')),
        [],
        'stale temporary files are removed on load',
      );
    }
  });

  it("two instances on one file (two pipelines or processes) keep each other's entries (#15)", async () => {
    const path = join(dir, 'cp.json');
    const a = fileCheckpointStore(path, { fsync: false });
    const b = fileCheckpointStore(path, { fsync: false });
    await a.load('messaging');
    await b.load('messaging');
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => [
        a.save('messaging', { [`a${i}`]: { seq: i } }),
        b.save('messaging', { [`b${i}`]: { seq: i } }),
      ]).flat(),
    );
    const loaded = await fileCheckpointStore(path).load('messaging');
    assert.equal(Object.keys(loaded).length, 40, JSON.stringify(Object.keys(loaded)));
    assert.equal(Object.keys(await a.load('messaging')).length, 40, "an instance sees the other one's saves");
  });

  it('another process holding the lock for good is a coded error naming the lock, not a silent overwrite (#15)', async () => {
    const path = join(dir, 'cp.json');
    // A live process (this one's parent) holds it: not stale.
    writeFileSync(`${path}.lock`, `${process.ppid}\n`);
    const s = fileCheckpointStore(path, { fsync: false, lockTimeoutMs: 200 });
    await assert.rejects(
      s.save('messaging', { a: { seq: 1 } }),
      (e: unknown) =>
        isChatshiftError(e, 'ERR_CHECKPOINT_LOCKED') &&
        e.message.includes(`${path}.lock`) &&
        e.message.includes(`${process.ppid}`),
    );
    // A lock left by a process that died is stale: taken over.
    writeFileSync(`${path}.lock`, '2147483646\n');
    await s.save('messaging', { a: { seq: 1 } });
    assert.deepEqual(await fileCheckpointStore(path).load('messaging'), { a: { seq: 1 } });
    // A lock left empty by a process killed between creating it and writing its pid: taken over.
    writeFileSync(`${path}.lock`, '');
    utimesSync(`${path}.lock`, new Date(Date.now() - 5000), new Date(Date.now() - 5000));
    await s.save('messaging', { b: { seq: 2 } });
    assert.deepEqual(Object.keys(await fileCheckpointStore(path).load('messaging')), ['a', 'b']);
  });

  it('load() waits for the saves queued before it (an immediate resubscribe) (#15)', async () => {
    const s = fileCheckpointStore(join(dir, 'cp.json'), { fsync: false });
    await s.load('messaging');
    void s.save('messaging', { a: { seq: 7 } });
    assert.deepEqual(await s.load('messaging'), { a: { seq: 7 } });
  });

  it('compacts closed conversations: at most maxClosed kept, the newest, open ones all kept (#15)', async () => {
    const path = join(dir, 'cp.json');
    const s = fileCheckpointStore(path, { fsync: false, maxClosed: 3 });
    await s.save('messaging', { open1: { seq: 1 } });
    for (let i = 0; i < 10; i++) await s.save('messaging', { [`closed${i}`]: { seq: i, closed: true } });
    await s.save('messaging', { open2: { seq: 2 } });
    const loaded = await fileCheckpointStore(path).load('messaging');
    assert.deepEqual(Object.keys(loaded).sort(), ['closed7', 'closed8', 'closed9', 'open1', 'open2']);
  });
});

describe('checkpoint load errors are one code on both backends (#15)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'chatshift-cp-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a corrupt file fails legacy-chat and messaging alike with ERR_CHECKPOINT_CORRUPT', async () => {
    const path = join(dir, 'cp.json');
    writeFileSync(path, '{"version":1,"backends":{"messaging":{"a":{"seq":');
    const checkpoint = fileCheckpointStore(path, { fsync: false });
    // Nothing is contacted: the checkpoint is loaded before any I/O (the ports are closed).
    const backends = [
      legacyChat({ agentSessionUrl: 'http://127.0.0.1:9/agentSession', bearer: 'bearer-1', checkpoint }),
      messaging({ accountId: '1', domain: '127.0.0.1:9', bearer: 'bearer-1', checkpoint }),
    ];
    for (const b of backends) {
      await assert.rejects(
        lastValueFrom(b.events()),
        (e: unknown) => isChatshiftError(e, 'ERR_CHECKPOINT_CORRUPT'),
        b.id,
      );
    }
  });
});
