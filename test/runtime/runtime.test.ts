import assert from 'node:assert/strict';
import { backoffDelay, resolveBackoff } from '../../src/runtime/backoff.js';
import { resolveBearer } from '../../src/runtime/bearer.js';
import { redact, redactingLogger } from '../../src/runtime/logger.js';
import { assertSecureTransport, isLoopbackHost } from '../../src/runtime/transport-security.js';
import { isChatshiftError } from '../../src/errors.js';

describe('backoff', () => {
  it('defaults follow LivePerson guidance: 5 s, doubling, capped at 2 min', () => {
    const b = resolveBackoff(undefined);
    assert.deepEqual(
      [0, 1, 2, 3, 10].map((n) => backoffDelay(n, b, () => 0)),
      [5000, 10000, 20000, 40000, 120000],
    );
  });
  it('jitter only ever shortens the delay, by at most its fraction', () => {
    const b = resolveBackoff({ initialMs: 100, jitter: 0.5 });
    assert.equal(
      backoffDelay(0, b, () => 1),
      50,
    );
    assert.equal(
      backoffDelay(0, b, () => 0),
      100,
    );
  });
});

describe('redaction', () => {
  it('removes secrets and their URL-encoded form from messages and nested fields', () => {
    assert.equal(
      redact('wss://h/brand/a+b/c?v=2.1 a%2Bb', ['a+b']),
      'wss://h/brand/[REDACTED]/c?v=2.1 [REDACTED]',
    );
    const lines: unknown[] = [];
    const log = redactingLogger(
      { warn: (m, f) => lines.push(m, f), error: (m, f) => lines.push(m, f) },
      () => ['TOKEN-1'],
    );
    log.warn('closed wss://x/brand/TOKEN-1', { url: 'TOKEN-1', nested: [{ err: new Error('bad TOKEN-1') }] });
    assert.doesNotMatch(JSON.stringify(lines), /TOKEN-1/);
    assert.match(JSON.stringify(lines), /REDACTED/);
  });
});

describe('transport security', () => {
  it('knows loopback hosts', () => {
    for (const h of ['127.0.0.1', '127.9.9.9', 'localhost', '[::1]', '::1']) assert.ok(isLoopbackHost(h), h);
    for (const h of ['10.0.0.1', 'example.com', '128.0.0.1', 'localhost.evil.com'])
      assert.ok(!isLoopbackHost(h), h);
  });
  it('refuses plain transport to other hosts unless opted in, without echoing the URL', () => {
    assert.doesNotThrow(() =>
      assertSecureTransport(new URL('http://127.0.0.1:1/x'), false, 'agentSessionUrl'),
    );
    assert.doesNotThrow(() =>
      assertSecureTransport(new URL('wss://example.com/brand/SECRET'), false, 'domain'),
    );
    assert.doesNotThrow(() =>
      assertSecureTransport(new URL('ws://example.com/brand/SECRET'), true, 'domain'),
    );
    assert.throws(
      () => assertSecureTransport(new URL('ws://example.com/brand/SECRET'), false, 'domain'),
      (e: unknown) => isChatshiftError(e, 'ERR_INSECURE_TRANSPORT') && !e.message.includes('SECRET'),
    );
  });
});

describe('resolveBearer', () => {
  it('accepts a string or a (async) function and codes every failure', async () => {
    assert.equal(await resolveBearer('t'), 't');
    assert.equal(await resolveBearer(async () => 'u'), 'u');
    for (const bad of [
      () => '',
      () => Promise.reject(new Error('x')),
      () => {
        throw new Error('y');
      },
    ]) {
      await assert.rejects(resolveBearer(bad), (e: unknown) => isChatshiftError(e, 'ERR_BEARER_PROVIDER'));
    }
  });
});
