import assert from 'node:assert/strict';
import { RecentlyClosed } from '../../src/runtime/recently-closed.js';

describe('RecentlyClosed', () => {
  it('remembers ids with their value and forgets the oldest past its capacity', () => {
    const closed = new RecentlyClosed<number>(3);
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) closed.remember(id, i);
    assert.equal(closed.size, 3);
    assert.equal(closed.has('a'), false);
    assert.equal(closed.get('d'), 3);
  });

  it('remembering an id again makes it the newest, so it outlives older ones', () => {
    const closed = new RecentlyClosed(2);
    closed.remember('a', true);
    closed.remember('b', true);
    closed.remember('a', true);
    closed.remember('c', true);
    assert.deepEqual(
      ['a', 'b', 'c'].map((id) => closed.has(id)),
      [true, false, true],
    );
  });

  it('forgets on request and defaults to 10,000 entries', () => {
    const closed = new RecentlyClosed();
    assert.equal(closed.capacity, 10_000);
    closed.remember('a', true);
    closed.forget('a');
    assert.equal(closed.has('a'), false);
  });
});
