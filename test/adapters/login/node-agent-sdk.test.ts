import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoginSimulator } from '../../../adapters/login/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

// The real node-agent-sdk@1.2.0 logs in against LoginSimulator through its own CSDS, login and
// refresh code (messaging-agent-api.md §8.2, recipe A: local TLS, `csdsDomain`, no patching), so
// the simulator's Login Service is checked by an independent client. The SDK runs in a child
// process started with NODE_EXTRA_CA_CERTS (read once, at process start).
const driver = `
const { Agent } = require('node-agent-sdk');
const [accountId, csdsDomain, username, password] = process.argv.slice(1);
const agent = new Agent({ accountId, csdsDomain, username, password, refreshSessionInterval: 300 });
const errors = [];
agent.on('error', (e) => errors.push(String((e && e.message) || e)));
setTimeout(() => {
  console.log(JSON.stringify({ agentId: agent.agentId, errors }));
  process.exit(0);
}, 2500);
`;

function runSdk(
  sim: LoginSimulator,
  password: string,
  certFile: string,
): Promise<{ agentId?: string; errors: string[] }> {
  const { accountId, csdsDomain, username } = sim.clientOptions();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ['--input-type=commonjs', '-e', driver, accountId, csdsDomain, username, password],
      {
        cwd: root,
        env: { PATH: process.env['PATH'] ?? '', NODE_EXTRA_CA_CERTS: certFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(guard);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolvePromise(JSON.parse(line) as { agentId?: string; errors: string[] });
      } catch {
        reject(new Error(`the SDK driver printed no result: ${out}${err}`));
      }
    });
  });
}

describe('node-agent-sdk@1.2.0 logs in against LoginSimulator (local TLS, its own login code path)', function () {
  this.timeout(60_000);
  let dir: string;
  let sim: LoginSimulator;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chatshift-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '2',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    sim = await LoginSimulator.start({
      accountId: '123',
      tls: { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
    });
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('discovers through CSDS, logs in with username/password, and refreshes with the csrf and cookie', async () => {
    const r = await runSdk(sim, LoginSimulator.demoUser.password, join(dir, 'cert.pem'));
    assert.equal(r.agentId, 'pid-77');
    const login = sim.requests.filter((q) => q.route === 'login');
    assert.deepEqual(
      login.map((q) => q.status),
      [200],
    );
    assert.match(login[0]?.userAgent ?? '', /^NodeAgentSDK\/1\.2\.0/);
    assert.ok(sim.requests.some((q) => q.route === 'csds' && q.status === 200));
    // The simulator answers 200 only with the login's csrf and Session_id cookie.
    assert.ok(
      sim.requests.some((q) => q.route === 'refresh' && q.status === 200),
      'a refresh was accepted',
    );
    assert.equal(sim.logins, 1);
  });

  it('a wrong password is refused (401) and the SDK reports an error', async () => {
    const before = sim.requests.length;
    const r = await runSdk(sim, 'not-the-password', join(dir, 'cert.pem'));
    const logins = sim.requests.slice(before).filter((q) => q.route === 'login');
    assert.deepEqual(
      logins.map((q) => q.status),
      [401],
    );
    assert.equal(r.agentId, undefined);
    assert.ok(r.errors.length > 0);
  });
});
