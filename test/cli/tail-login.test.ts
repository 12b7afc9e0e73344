import assert from 'node:assert/strict';
import { spawnCli } from '../support/cli.js';
import { startOneAccount, type OneAccount } from '../support/account.js';

/** Runs `chatshift tail` until stdout matches `stopOn` (then SIGINT), or to its end. */
function tail(args: string[], env: Record<string, string>, stopOn?: RegExp) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve, reject) => {
    const child = spawnCli(['tail', ...args], env);
    let out = '';
    let err = '';
    let stopped = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (stopOn !== undefined && !stopped && stopOn.test(out)) {
        stopped = true;
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, out, err });
    });
  });
}

describe('chatshift tail with credentials (--account --username --password-env)', function () {
  this.timeout(90_000);
  let acct: OneAccount;
  before(async () => {
    acct = await startOneAccount();
  });
  after(async () => acct.close());

  it('follows both backends from an account id and credentials alone, logs out, and never prints a secret', async () => {
    const legacyKey = acct.legacy.openConversation({ waiting: true });
    acct.legacy.consumerSays(legacyKey, 'legacy hello');
    const conv = acct.messaging.openConversation();
    acct.messaging.consumerSays(conv, 'messaging hello');
    const { password, username, csdsDomain, accountId } = acct.login.clientOptions();
    const r = await tail(
      [
        '--backend',
        'both',
        '--json',
        '--verbose',
        '--accept-incoming',
        '--account',
        accountId,
        '--username',
        username,
        '--password-env',
        'LP_PASSWORD',
        '--csds-domain',
        csdsDomain,
      ],
      { LP_PASSWORD: password },
      /legacy hello[\s\S]*messaging hello|messaging hello[\s\S]*legacy hello/,
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(acct.login.logins, 1);
    assert.deepEqual(
      acct.login.requests.filter((q) => q.route === 'logout').map((q) => q.status),
      [200],
    );
    assert.equal(acct.login.validTokens().length, 0, 'logged out');
    assert.equal(acct.legacy.agentSessionsCreated, 1);
    assert.ok(!(r.out + r.err).includes(password), 'the password reached the output');
    assert.ok(!/sim-[A-Za-z0-9_-]{20,}/.test(r.out + r.err), 'a bearer reached the output');
  });

  it('exits 2 on missing credential variables and 1 on a wrong password, naming neither secret', async () => {
    const { username, csdsDomain, accountId } = acct.login.clientOptions();
    const base = [
      '--backend',
      'legacy-chat',
      '--account',
      accountId,
      '--username',
      username,
      '--csds-domain',
      csdsDomain,
    ];
    const missing = await tail([...base, '--password-env', 'LP_PASSWORD'], {});
    assert.equal(missing.code, 2);
    assert.match(missing.err, /LP_PASSWORD/);
    const wrong = await tail([...base, '--password-env', 'LP_PASSWORD'], { LP_PASSWORD: 'wrong-pass-7781' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.err, /ERR_AUTH_REJECTED/);
    assert.ok(!(wrong.out + wrong.err).includes('wrong-pass-7781'));
  });
});
