import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildBatches,
  type Batch,
  type BatchLimits,
  type CursorEntry,
} from '../../../adapters/legacy-chat/batches.js';

const SESSION = 'https://lp.example.com/api/account/1234/agentSession/abc-1';
const PATH = '/api/account/1234/agentSession/abc-1/chat';
const roomy: BatchLimits = { maxChatsPerRequest: 50, maxRequestLineBytes: 8192 };

const query = (b: Batch) => new URL(b.url).searchParams;
const lineBytes = (b: Batch) => {
  const u = new URL(b.url);
  return Buffer.byteLength(`GET ${u.pathname}${u.search} HTTP/1.1`);
};
const key = (i: number) => `H${String(i).padStart(19, '0')}-2767456311409308813K8414056`;

describe('buildBatches', () => {
  it('asks for no request when no chat is followed', () => {
    assert.deepEqual(buildBatches(SESSION, [], roomy), []);
  });

  it('asks for all followed chats in one multi-chat request, cursors by position', () => {
    const batches = buildBatches(
      SESSION,
      [
        { key: 'K1', cursor: 4 },
        { key: 'K2', cursor: 0 },
        { key: 'K3', cursor: 17 },
      ],
      roomy,
    );
    assert.deepEqual(batches, [
      {
        url: `https://lp.example.com${PATH}?chatSessionKeys=K1,K2,K3&fromEventIds=4,0,17&v=1&NC=true`,
        keys: ['K1', 'K2', 'K3'],
      },
    ]);
  });

  it('asks for chats with nothing seen yet in a request without fromEventIds, after those with cursors', () => {
    const batches = buildBatches(
      SESSION,
      [
        { key: 'new1', cursor: -1 },
        { key: 'old1', cursor: 3 },
        { key: 'new2', cursor: -1 },
        { key: 'old2', cursor: 0 },
      ],
      roomy,
    );
    assert.deepEqual(
      batches.map((b) => b.keys),
      [
        ['old1', 'old2'],
        ['new1', 'new2'],
      ],
    );
    assert.equal(query(batches[0] as Batch).get('fromEventIds'), '3,0');
    assert.equal(query(batches[1] as Batch).has('fromEventIds'), false);
    assert.equal(query(batches[1] as Batch).get('v'), '1');
    assert.equal(query(batches[1] as Batch).get('NC'), 'true');
  });

  it('splits by maxChatsPerRequest, keeping the followed order', () => {
    const chats = Array.from({ length: 7 }, (_, i) => ({ key: `K${i}`, cursor: i }));
    const batches = buildBatches(SESSION, chats, { ...roomy, maxChatsPerRequest: 3 });
    assert.deepEqual(
      batches.map((b) => b.keys),
      [['K0', 'K1', 'K2'], ['K3', 'K4', 'K5'], ['K6']],
    );
    assert.deepEqual(
      batches.map((b) => query(b).get('fromEventIds')),
      ['0,1,2', '3,4,5', '6'],
    );
  });

  it('splits by maxRequestLineBytes, and a request line exactly at the limit is allowed', () => {
    const chats = [0, 1, 2].map((i) => ({ key: key(i), cursor: 100 }));
    const [all] = buildBatches(SESSION, chats, roomy);
    assert.ok(all);
    const exact = lineBytes(all);
    assert.equal(buildBatches(SESSION, chats, { ...roomy, maxRequestLineBytes: exact }).length, 1);
    const split = buildBatches(SESSION, chats, { ...roomy, maxRequestLineBytes: exact - 1 });
    assert.deepEqual(
      split.map((b) => b.keys),
      [[key(0), key(1)], [key(2)]],
    );
    for (const b of split) assert.ok(lineBytes(b) <= exact - 1);
  });

  it('still asks for a key longer than the line limit, alone in its own request', () => {
    const long = 'L'.repeat(500);
    const batches = buildBatches(
      SESSION,
      [
        { key: 'a', cursor: 1 },
        { key: long, cursor: 2 },
        { key: 'b', cursor: 3 },
      ],
      { maxChatsPerRequest: 50, maxRequestLineBytes: 200 },
    );
    assert.deepEqual(
      batches.map((b) => b.keys),
      [['a'], [long], ['b']],
    );
    assert.ok(lineBytes(batches[1] as Batch) > 200);
    assert.equal(query(batches[1] as Batch).get('fromEventIds'), '2');
  });

  it('percent-encodes keys in the URL, counts the encoded bytes against the limit, and reports the keys as given', () => {
    const odd = 'K,1 &ü';
    const [b] = buildBatches(
      SESSION,
      [
        { key: odd, cursor: 0 },
        { key: 'K2', cursor: 1 },
      ],
      roomy,
    );
    assert.ok(b);
    assert.deepEqual(b.keys, [odd, 'K2']);
    assert.match(b.url, /chatSessionKeys=K%2C1%20%26%C3%BC,K2&/);
    // 'K,1 &ü' is 7 bytes raw but 17 encoded: one byte short of the encoded line, raw would fit.
    const tight = buildBatches(
      SESSION,
      [
        { key: odd, cursor: 0 },
        { key: 'K2', cursor: 1 },
      ],
      {
        ...roomy,
        maxRequestLineBytes: lineBytes(b) - 1,
      },
    );
    assert.equal(tight.length, 2);
  });

  it('builds the chat URL below the agent session, without a doubled slash or its query', () => {
    const [b] = buildBatches(
      'http://127.0.0.1:8080/api/agentSession/s1/?v=1',
      [{ key: 'K', cursor: 1 }],
      roomy,
    );
    assert.ok(b);
    assert.equal(
      b.url,
      'http://127.0.0.1:8080/api/agentSession/s1/chat?chatSessionKeys=K&fromEventIds=1&v=1&NC=true',
    );
  });

  it('for any followed set, asks for each chat exactly once, within the limits, in as few requests as the order allows', () => {
    const entry = fc.record({
      key: fc.stringMatching(/^[A-Za-z0-9-]{1,60}$/),
      cursor: fc.integer({ min: -1, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { selector: (e) => e.key, maxLength: 60 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 60, max: 600 }),
        (chats: CursorEntry[], maxChatsPerRequest, maxRequestLineBytes) => {
          const limits = { maxChatsPerRequest, maxRequestLineBytes };
          const batches = buildBatches(SESSION, chats, limits);
          const expected = [...chats.filter((c) => c.cursor >= 0), ...chats.filter((c) => c.cursor < 0)];
          assert.deepEqual(
            batches.flatMap((b) => b.keys),
            expected.map((c) => c.key),
          );
          const cursorOf = new Map(chats.map((c) => [c.key, c.cursor]));
          for (const b of batches) {
            assert.ok(b.keys.length >= 1 && b.keys.length <= maxChatsPerRequest);
            assert.ok(b.keys.length === 1 || lineBytes(b) <= maxRequestLineBytes, b.url);
            const withCursors = cursorOf.get(b.keys[0] as string)! >= 0;
            assert.ok(
              b.keys.every((k) => cursorOf.get(k)! >= 0 === withCursors),
              'cursor kinds mixed',
            );
            const ids = query(b).get('fromEventIds');
            assert.equal(
              ids ?? undefined,
              withCursors ? b.keys.map((k) => cursorOf.get(k)).join(',') : undefined,
            );
          }
          // Greedy is minimal for an ordered split: the next batch's first chat did not fit.
          for (let i = 0; i + 1 < batches.length; i++) {
            const a = batches[i] as Batch;
            const next = batches[i + 1] as Batch;
            const sameKind =
              cursorOf.get(a.keys[0] as string)! >= 0 === cursorOf.get(next.keys[0] as string)! >= 0;
            if (!sameKind) continue;
            const merged = buildBatches(
              SESSION,
              [...a.keys, next.keys[0] as string].map((k) => ({ key: k, cursor: cursorOf.get(k)! })),
              { maxChatsPerRequest: Number.MAX_SAFE_INTEGER, maxRequestLineBytes: Number.MAX_SAFE_INTEGER },
            )[0] as Batch;
            assert.ok(
              merged.keys.length > maxChatsPerRequest || lineBytes(merged) > maxRequestLineBytes,
              `batch ${i} could have taken ${next.keys[0]}`,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
