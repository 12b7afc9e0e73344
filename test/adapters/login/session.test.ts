import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { loginSession, LoginSimulator } from '../../../adapters/login/index.js';
import { isChatshiftError, type ErrorCode } from '../../../src/errors.js';
import { recordingLogger } from '../../support/logger.js';
import { waitFor } from '../../support/wait.js';

const fast = { backoff: { initialMs: 5, maxMs: 20, maxAttempts: 3 }, rateLimitWaitMs: 10 } as const;

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    assert.ok(
      isChatshiftError(e, code),
      `expected ${code}, got ${String((e as { code?: unknown }).code)}: ${String(e)}`,
    );
    return e;
  }
  assert.fail(`expected ${code}, but it resolved`);
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('loginSession (chatshift/login) against LoginSimulator', () => {
  let sim: LoginSimulator;
  const sessions: Array<{ close(): Promise<void> }> = [];
  const track = <T extends { close(): Promise<void> }>(s: T): T => (sessions.push(s), s);
  beforeEach(async () => {
    sim = await LoginSimulator.start();
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) await s.close();
    await sim.close();
  });

  it('is cold: making a session sends nothing', async () => {
    track(loginSession({ ...sim.clientOptions(), ...fast }));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sim.requests.length, 0);
  });

  it('discovers the hosts through CSDS, logs in with a password once for many callers, and knows the agent id', async () => {
    const s = track(loginSession({ ...sim.clientOptions(), ...fast }));
    const tokens = await Promise.all([s.bearer(), s.bearer(), s.bearer(), s.agentId()]);
    assert.equal(sim.logins, 1);
    assert.ok(sim.accepts(tokens[0]));
    assert.equal(tokens[1], tokens[0]);
    assert.equal(tokens[3], sim.agentId);
    assert.equal(await s.domain('facadeMsg'), sim.domain);
    assert.deepEqual(
      sim.requests.map((r) => r.route),
      ['csds', 'login'],
    );
  });

  it('logs in with app keys', async () => {
    await sim.close();
    const app = {
      username: 'bot',
      appKey: 'k',
      secret: 'app-secret-1',
      accessToken: 'at',
      accessTokenSecret: 'ats',
    };
    sim = await LoginSimulator.start({ apps: [app] });
    const s = track(loginSession({ accountId: sim.accountId, csdsDomain: sim.domain, ...app }));
    assert.ok(sim.accepts(await s.bearer()));
  });

  it('uses an existing bearer as is, and a refusal of it is final (ERR_AUTH_REJECTED)', async () => {
    const s = track(
      loginSession({ accountId: '1234', csdsDomain: sim.domain, bearer: 'given-token-1', userId: '42' }),
    );
    assert.equal(await s.bearer(), 'given-token-1');
    assert.equal(await s.agentId(), '1234.42');
    await rejectsWith(s.refused('given-token-1'), 'ERR_AUTH_REJECTED');
    assert.equal(sim.requests.length, 0);
  });

  it('refreshes on its cadence with the csrf and the session cookie', async () => {
    const s = track(loginSession({ ...sim.clientOptions(), ...fast, refreshIntervalMs: 30 }));
    await s.bearer();
    await waitFor(
      () => sim.requests.filter((r) => r.route === 'refresh' && r.status === 200).length >= 3,
      'three refreshes',
    );
    assert.equal(sim.logins, 1);
  });

  it('logs in again exactly once when many callers report the same refused token, and ignores reports of a replaced one', async () => {
    sim.configure({ tokenTtlMs: 50 });
    const s = track(loginSession({ ...sim.clientOptions(), ...fast }));
    const first = await s.bearer();
    await waitFor(() => !sim.accepts(first), 'the token to expire');
    await Promise.all(Array.from({ length: 6 }, () => s.refused(first)));
    const second = await s.bearer();
    assert.notEqual(second, first);
    assert.equal(sim.logins, 2);
    await s.refused(first);
    assert.equal(sim.logins, 2);
    assert.equal(s.logins, 2);
  });

  it('logs in again when a refresh is refused (401)', async () => {
    const s = track(loginSession({ ...sim.clientOptions(), ...fast, refreshIntervalMs: 30 }));
    const first = await s.bearer();
    sim.configure({ refreshRefused: true });
    await waitFor(() => sim.logins >= 2, 'a re-login after the refused refresh');
    sim.configure({ refreshRefused: false });
    assert.notEqual(await s.bearer(), first);
  });

  it('fails fast with ERR_AUTH_REJECTED on a wrong password, with one login request', async () => {
    const s = track(loginSession({ ...sim.clientOptions(), password: 'wrong-password-9', ...fast }));
    await rejectsWith(s.bearer(), 'ERR_AUTH_REJECTED');
    assert.equal(sim.requests.filter((r) => r.route === 'login').length, 1);
  });

  it('waits at least 5 s after a login 429 (the default), then logs in', async function () {
    this.timeout(15_000);
    sim.faults.queue({ route: 'login', status: 429 });
    const s = track(loginSession({ ...sim.clientOptions(), backoff: { initialMs: 5 } }));
    await s.bearer();
    const logins = sim.requests.filter((r) => r.route === 'login');
    assert.deepEqual(
      logins.map((r) => r.status),
      [429, 200],
    );
    assert.ok((logins[1]?.at ?? 0) - (logins[0]?.at ?? 0) >= 4990, 'waited at least 5 s');
  });

  it('retries 5xx with backoff, then gives up with ERR_RETRIES_EXHAUSTED', async () => {
    sim.faults.queue({ route: 'login', status: 503 }, { times: 2 });
    const s = track(loginSession({ ...sim.clientOptions(), ...fast }));
    assert.ok(sim.accepts(await s.bearer()));
    sim.faults.queue({ route: 'login', status: 500 }, { times: 3 });
    const t = track(loginSession({ ...sim.clientOptions(), ...fast }));
    await rejectsWith(t.bearer(), 'ERR_RETRIES_EXHAUSTED');
    sim.assertNoPendingFaults();
  });

  it('answers ERR_DISCOVERY when CSDS is unreachable, not JSON, has no baseURIs, or lacks the service', async () => {
    const port = await closedPort();
    const off = track(loginSession({ ...sim.clientOptions(), csdsDomain: `127.0.0.1:${port}`, ...fast }));
    await rejectsWith(off.bearer(), 'ERR_DISCOVERY');
    for (const csds of ['not-json', 'no-baseURIs'] as const) {
      sim.configure({ csds });
      await rejectsWith(track(loginSession({ ...sim.clientOptions(), ...fast })).bearer(), 'ERR_DISCOVERY');
    }
    sim.configure({ csds: 'no-messaging' });
    const s = track(loginSession({ ...sim.clientOptions(), ...fast }));
    await rejectsWith(s.domain('facadeMsg'), 'ERR_DISCOVERY');
    assert.ok(await s.bearer());
  });

  it('answers ERR_SCHEMA_INVALID for a login answer without a bearer', async () => {
    sim.configure({ loginAnswer: 'no-bearer' });
    await rejectsWith(
      track(loginSession({ ...sim.clientOptions(), ...fast })).bearer(),
      'ERR_SCHEMA_INVALID',
    );
  });

  it('logs out on close(); afterwards every call rejects with ERR_SESSION_CLOSED', async () => {
    const s = loginSession({ ...sim.clientOptions(), ...fast, refreshIntervalMs: 20 });
    const token = await s.bearer();
    await s.close();
    await s.close();
    assert.deepEqual(
      sim.requests.filter((r) => r.route === 'logout').map((r) => r.status),
      [200],
    );
    assert.equal(sim.accepts(token), false);
    await rejectsWith(s.bearer(), 'ERR_SESSION_CLOSED');
    await rejectsWith(s.refused(token), 'ERR_SESSION_CLOSED');
    const seen = sim.requests.length;
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(sim.requests.length, seen, 'no refresh after close');
  });

  it('rejects bad options synchronously without echoing a secret', () => {
    const bad: unknown[] = [
      { accountId: '1234', username: 'u' },
      { accountId: '1234', username: 'u', password: 'pw-secret-1', bearer: 'b', userId: '1' },
      { accountId: '1234', username: 'u', password: 'pw-secret-1', csdsDomain: 'https://x/' },
      { accountId: '', username: 'u', password: 'pw-secret-1' },
      { accountId: '1234', username: 'u', password: 'pw-secret-1', refreshIntervalMs: -1 },
    ];
    for (const o of bad) {
      assert.throws(
        () => loginSession(o as never),
        (e: unknown) => isChatshiftError(e, 'ERR_INVALID_OPTIONS') && !e.message.includes('pw-secret-1'),
      );
    }
  });

  it('never logs a password, csrf or bearer, through logins, refreshes, refusals and failures', async () => {
    const logger = recordingLogger();
    sim.faults.queue({ route: 'login', status: 503 });
    const s = track(loginSession({ ...sim.clientOptions(), ...fast, refreshIntervalMs: 20, logger }));
    const first = await s.bearer();
    sim.configure({ refreshRefused: true });
    await waitFor(() => sim.logins >= 2, 're-login');
    sim.configure({ refreshRefused: false });
    const second = await s.bearer();
    await s.refused(second);
    const third = await s.bearer();
    const wrong = track(
      loginSession({ ...sim.clientOptions(), password: 'wrong-password-9', ...fast, logger }),
    );
    const err = await rejectsWith(wrong.bearer(), 'ERR_AUTH_REJECTED');
    const text = logger.text() + JSON.stringify(err) + String(err);
    assert.ok(logger.records.length > 0);
    for (const secret of [first, second, third, LoginSimulator.demoUser.password, 'wrong-password-9'])
      assert.ok(!text.includes(secret), 'a secret reached the log');
  });
});
