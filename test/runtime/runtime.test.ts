import assert from 'node:assert/strict';
import { backoffDelay, resolveBackoff } from '../../src/runtime/backoff.js';
import { BEARER_TIMEOUT_MS, resolveBearer } from '../../src/runtime/bearer.js';
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

  it('a very short secret is redacted only as a whole token, not inside every word (#15)', () => {
    const lines: unknown[] = [];
    const log = redactingLogger({ warn: (m, f) => lines.push(m, f), error: () => undefined }, () => ['e']);
    log.warn('messaging: reconnecting', { code: 'ERR_CONNECTION', url: 'wss://h/brand/e?v=2.1' });
    assert.deepEqual(lines, [
      'messaging: reconnecting',
      { code: 'ERR_CONNECTION', url: 'wss://h/brand/[REDACTED]?v=2.1' },
    ]);
    assert.equal(redact('Bearer e, then e2e and e', ['e']), 'Bearer [REDACTED], then e2e and [REDACTED]');
    assert.equal(redact('tokenSECRET-1234 x', ['SECRET-1234']), 'token[REDACTED] x', 'long: anywhere');
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

  it('refuses a token no header can carry (CR/LF, NUL, non-Latin-1), after asking once more (#15)', async () => {
    for (const token of ['a\r\nX-Evil: 1', 'a\nb', 'a\u0000b', 'tök€n', 'tab\there']) {
      let calls = 0;
      await assert.rejects(
        resolveBearer(() => {
          calls++;
          return token;
        }),
        (e: unknown) =>
          isChatshiftError(e, 'ERR_BEARER_PROVIDER') &&
          !e.message.includes(token) &&
          /character/.test(e.message),
        JSON.stringify(token),
      );
      assert.equal(calls, 2, 'asked once more before failing');
      await assert.rejects(resolveBearer(token), (e: unknown) => isChatshiftError(e, 'ERR_BEARER_PROVIDER'));
    }
    let calls = 0;
    assert.equal(await resolveBearer(() => (++calls === 1 ? 'bad\n' : 'good')), 'good');
    assert.equal(await resolveBearer('Latin-1 ok: é'), 'Latin-1 ok: é');
  });

  it('gives a bearer() that never answers a total deadline (#15)', async () => {
    const started = Date.now();
    await assert.rejects(
      resolveBearer(() => new Promise<string>(() => undefined), { timeoutMs: 50 }),
      (e: unknown) => isChatshiftError(e, 'ERR_BEARER_PROVIDER') && /50 ms/.test(e.message),
    );
    assert.ok(Date.now() - started < 1000);
    assert.ok(BEARER_TIMEOUT_MS > 0 && BEARER_TIMEOUT_MS <= 60_000, 'a default deadline exists');
  });
});
