import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ChatshiftError, errorCodes, isChatshiftError } from '../src/errors.js';

describe('ChatshiftError', () => {
  it('carries a code, a cause and frozen details', () => {
    const cause = new Error('socket hang up');
    const e = new ChatshiftError('ERR_CONNECTION', 'connection lost', { cause, details: { attempt: 2 } });
    assert.equal(e.code, 'ERR_CONNECTION');
    assert.equal(e.cause, cause);
    assert.equal(e.name, 'ChatshiftError');
    assert.deepEqual(e.details, { attempt: 2 });
    assert.ok(Object.isFrozen(e.details));
    assert.ok(isChatshiftError(e, 'ERR_CONNECTION'));
    assert.ok(!isChatshiftError(e, 'ERR_TIMEOUT'));
    assert.ok(!isChatshiftError(cause));
  });

  it('every code is documented in docs/errors.md, and the page lists no unknown code', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(ERR_[A-Z_]+)`\s*\|/gm)].map((m) => m[1]));
    assert.deepEqual([...documented].sort(), [...errorCodes].sort());
  });
});
