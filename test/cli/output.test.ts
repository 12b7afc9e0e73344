import assert from 'node:assert/strict';
import { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { alignedBlock, logLine, parseTypes, useColour } from '../../src/cli/format.js';
import { isChatshiftError } from '../../src/errors.js';
import { runCliUntil } from '../support/cli.js';

describe('CLI output: colour, --types, log reasons, the aligned summary', function () {
  this.timeout(90_000);

  it('colours a TTY unless NO_COLOR is set; FORCE_COLOR overrides both ways', () => {
    const table: Array<[boolean | undefined, Record<string, string>, boolean]> = [
      [true, {}, true],
      [false, {}, false],
      [undefined, {}, false],
      [true, { NO_COLOR: '1' }, false],
      [true, { NO_COLOR: '' }, true],
      [false, { FORCE_COLOR: '1' }, true],
      [true, { FORCE_COLOR: '0' }, false],
      [true, { NO_COLOR: '1', FORCE_COLOR: '1' }, true],
    ];
    for (const [tty, env, want] of table) {
      assert.equal(useColour(tty, env), want, `tty=${String(tty)} env=${JSON.stringify(env)}`);
    }
  });

  it('--types takes known event types and names a wrong one', () => {
    assert.deepEqual([...(parseTypes('message, state') ?? [])], ['message', 'state']);
    assert.equal(parseTypes(undefined), undefined);
    for (const bad of ['mesage', '', 'message,bogus']) {
      assert.throws(
        () => parseTypes(bad),
        (e: unknown) => isChatshiftError(e, 'ERR_USAGE') && /message, state, typing/.test(e.message),
      );
    }
  });

  it('a log line carries its code, status and reason', () => {
    assert.equal(
      logLine('warn', 'legacy-chat: poll failed, retrying', {
        code: 'ERR_HTTP_STATUS',
        status: 503,
        attempt: 1,
        delayMs: 10,
        message: 'server error',
      }),
      'warn: legacy-chat: poll failed, retrying (ERR_HTTP_STATUS, status 503, attempt=1, delayMs=10: server error)',
    );
    assert.equal(logLine('info', 'socket open'), 'info: socket open');
  });

  it('aligns the summary rows on one column', () => {
    assert.equal(
      alignedBlock('summary', [
        ['events', '3'],
        ['duplicates dropped', '0'],
      ]),
      '\nsummary\n  events             3\n  duplicates dropped 0\n',
    );
  });

  it('tail: --types filters the readable view, --verbose says why a poll failed, Ctrl-C prints the aligned summary; FORCE_COLOR colours, NO_COLOR does not', async () => {
    const secret = 'output-secret-token-77c1';
    const sim = await LegacyChatSimulator.start({ bearer: secret });
    try {
      const key = sim.openConversation();
      sim.consumerSays(key, 'hello from the visitor');
      sim.faults.queue({ status: 503 });
      const args = [
        'tail',
        '--backend',
        'legacy-chat',
        '--bearer-env',
        'LP_BEARER',
        '--legacy-session',
        sim.agentSessionUrl,
        '--chats',
        key,
        '--poll-interval-ms',
        '50',
        '--types',
        'message',
        '--verbose',
      ];
      const plain = await runCliUntil(args, { LP_BEARER: secret, NO_COLOR: '1' }, /hello from the visitor/);
      assert.equal(plain.code, 0, plain.stderr);
      sim.assertNoPendingFaults();
      assert.match(plain.stderr, /poll failed, retrying \(ERR_\w+, status 503/);
      const shown = plain.stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l));
      assert.ok(shown.length > 0);
      assert.ok(
        shown.every((l) => !/── conversation|typing|joined/.test(l)),
        `only messages are shown:\n${shown.join('\n')}`,
      );
      assert.match(
        plain.stdout,
        /\nsummary \(\d+\.\d s\)\n {2}events {13}legacy-chat \d+\n {2}by type {12}.*state \d+/,
      );
      assert.ok(!plain.stdout.includes('\x1b['), 'no colour under NO_COLOR');
      assert.ok(!plain.stdout.includes(secret) && !plain.stderr.includes(secret));

      const coloured = await runCliUntil(
        args,
        { LP_BEARER: secret, FORCE_COLOR: '1' },
        /hello from the visitor/,
      );
      assert.equal(coloured.code, 0, coloured.stderr);
      assert.ok(coloured.stdout.includes('\x1b[2m'), 'coloured under FORCE_COLOR');
    } finally {
      await sim.close();
    }
  });
});
