import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { LegacyChatSimulator, legacyChat } from '../../adapters/legacy-chat/index.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import { pinoLogger, type Logger } from '../../src/runtime/logger.js';
import { waitFor } from '../support/wait.js';

/** A real pino logger writing JSON lines into memory. */
function pinoToMemory(): {
  logger: pino.Logger;
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
} {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return {
    logger: pino({ level: 'debug' }, stream),
    lines: () =>
      text
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => text,
  };
}

// Issue #14: pino takes (object, message); chatshift's fields and error codes must reach its lines.
describe('logging through a real pino logger', function () {
  this.timeout(20_000);
  const BEARER = 'pino-test-bearer-5ecret';
  let sim: LegacyChatSimulator;
  beforeEach(async () => {
    sim = await LegacyChatSimulator.start({ bearer: BEARER });
  });
  afterEach(() => sim.close());

  for (const how of ['passed as is', 'through pinoLogger()'] as const) {
    it(`${how}: a retried poll is one JSON line with chatshift's fields and code; the bearer never appears`, async () => {
      const out = pinoToMemory();
      const logger: Logger = how === 'passed as is' ? out.logger : pinoLogger(out.logger);
      sim.openConversation({ waiting: true });
      sim.faults.queue({ status: 503 }, { times: 1 });
      const sub = conversationEvents({
        backend: 'legacy-chat',
        legacy: legacyChat({
          ...sim.clientOptions(),
          acceptIncoming: true,
          pollIntervalMs: 20,
          backoff: { initialMs: 10, maxMs: 50 },
        }),
        logger,
      }).subscribe();
      try {
        await waitFor(
          () => out.lines().some((l) => l['msg'] === 'legacy-chat: poll failed, retrying'),
          () => `the retry logged; lines: ${out.text()}`,
        );
      } finally {
        sub.unsubscribe();
      }
      const line = out.lines().find((l) => l['msg'] === 'legacy-chat: poll failed, retrying');
      assert.equal(line?.['level'], 40, 'warn');
      assert.equal(line?.['code'], 'ERR_HTTP_STATUS');
      assert.equal(line?.['status'], 503);
      assert.equal(typeof line?.['delayMs'], 'number');
      assert.ok(!out.text().includes(BEARER), 'the bearer reached the log');
      assert.ok(!out.text().includes('5ecret'), 'part of the bearer reached the log');
    });
  }

  it('a warning without fields keeps its message; an Error field keeps its message and code', () => {
    const out = pinoToMemory();
    const logger = pinoLogger(out.logger);
    logger.warn('plain');
    const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    logger.error('failed', { error: cause, attempt: 2 });
    const [plain, failed] = out.lines();
    assert.equal(plain?.['msg'], 'plain');
    assert.equal(failed?.['msg'], 'failed');
    assert.equal(failed?.['attempt'], 2);
    assert.deepEqual(failed?.['error'], { type: 'Error', message: 'socket hang up', code: 'ECONNRESET' });
  });
});
