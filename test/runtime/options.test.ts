import assert from 'node:assert/strict';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { memoryCheckpointStore } from '../../src/checkpoint/memory.js';
import { isChatshiftError } from '../../src/errors.js';
import { flowControl } from '../../src/runtime/flow.js';
import { MAX_TIMER_MS } from '../../src/runtime/options.js';

// The shared options are resolved once, in core: the same bad option gets the same answer from
// both adapters, word for word after the factory's name (issue #10: the copies used to disagree).
const factories = {
  legacyChat: (extra: Record<string, unknown>) =>
    legacyChat({ agentSessionUrl: 'http://127.0.0.1:9/api/account/1/agentSession/s', bearer: 'b', ...extra }),
  messaging: (extra: Record<string, unknown>) =>
    messaging({ accountId: '1', domain: '127.0.0.1:9', bearer: 'b', ...extra }),
};

/** The message a factory throws for `extra`, without its `name: ` prefix; undefined when accepted. */
function answer(name: keyof typeof factories, extra: Record<string, unknown>): string | undefined {
  try {
    factories[name](extra);
    return undefined;
  } catch (e) {
    assert.ok(isChatshiftError(e, 'ERR_INVALID_OPTIONS'), `${name} threw ${String(e)}`);
    assert.ok(e.message.startsWith(`${name}: `), e.message);
    return e.message.slice(name.length + 2);
  }
}

const rejected: Array<[string, Record<string, unknown>, string]> = [
  ['an empty bearer', { bearer: '' }, 'bearer must be a non-empty string or a function returning one'],
  ['a numeric bearer', { bearer: 42 }, 'bearer must be a non-empty string or a function returning one'],
  ['backoff not an object', { backoff: 5 }, 'backoff must be an object'],
  [
    'backoff.initialMs 0',
    { backoff: { initialMs: 0 } },
    `backoff.initialMs must be a positive number up to ${MAX_TIMER_MS} ms`,
  ],
  [
    'backoff.maxMs above the timer limit',
    { backoff: { maxMs: 2 ** 31 } },
    `backoff.maxMs must be a positive number up to ${MAX_TIMER_MS} ms`,
  ],
  [
    'backoff.maxMs NaN',
    { backoff: { maxMs: Number.NaN } },
    `backoff.maxMs must be a positive number up to ${MAX_TIMER_MS} ms`,
  ],
  ['backoff.factor below 1', { backoff: { factor: 0.5 } }, 'backoff.factor must be a number from 1 to 1000'],
  ['backoff.jitter 5', { backoff: { jitter: 5 } }, 'backoff.jitter must be a number in 0..1'],
  ['backoff.jitter -0.1', { backoff: { jitter: -0.1 } }, 'backoff.jitter must be a number in 0..1'],
  [
    'backoff.maxAttempts 1.5',
    { backoff: { maxAttempts: 1.5 } },
    'backoff.maxAttempts must be a positive integer or Infinity',
  ],
  [
    'backoff.maxAttempts 0',
    { backoff: { maxAttempts: 0 } },
    'backoff.maxAttempts must be a positive integer or Infinity',
  ],
  ['an empty logger', { logger: {} }, 'logger must be a logger (an object with warn, error)'],
  [
    'a logger whose info is not a function',
    { logger: { warn() {}, error() {}, info: 1 } },
    'logger.info must be a function when present',
  ],
  [
    'an empty checkpoint store',
    { checkpoint: {} },
    'checkpoint must be a checkpoint store (an object with load, save)',
  ],
  [
    'metrics without increment',
    { metrics: { count() {} } },
    'metrics must be a counter sink (an object with increment)',
  ],
  ['a flow not from flowControl()', { flow: { highWaterMark: 10 } }, 'flow must be made by flowControl()'],
  [
    'a flow-looking object',
    { flow: { paused$: {}, whenFlowing() {} } },
    'flow must be made by flowControl()',
  ],
  [
    'a scheduler without now',
    { scheduler: { schedule() {} } },
    'scheduler must be an RxJS scheduler (an object with schedule, now)',
  ],
  [
    'allowInsecureTransport as a string',
    { allowInsecureTransport: 'yes' },
    'allowInsecureTransport must be a boolean',
  ],
];

const accepted: Array<[string, Record<string, unknown>]> = [
  ['a bearer function', { bearer: () => 'token' }],
  [
    'backoff.maxAttempts Infinity (the documented default)',
    { backoff: { maxAttempts: Number.POSITIVE_INFINITY } },
  ],
  ['backoff.jitter 0 and 1', { backoff: { jitter: 0, factor: 1 } }],
  ['backoff.jitter 1', { backoff: { jitter: 1 } }],
  ['backoff.maxMs at the timer limit', { backoff: { maxMs: MAX_TIMER_MS } }],
  ['console as the logger', { logger: console }],
  [
    'a memory store, a flow and counters',
    { checkpoint: memoryCheckpointStore(), flow: flowControl(), metrics: { increment() {} } },
  ],
];

describe('shared options: one resolver in core, one answer from both adapters', () => {
  for (const [what, extra, expected] of rejected) {
    it(`rejects ${what} with the same message from legacyChat and messaging`, () => {
      assert.equal(answer('legacyChat', extra), expected);
      assert.equal(answer('messaging', extra), expected);
    });
  }
  for (const [what, extra] of accepted) {
    it(`accepts ${what} on both`, () => {
      assert.equal(answer('legacyChat', extra), undefined);
      assert.equal(answer('messaging', extra), undefined);
    });
  }

  it('names the option in the error details and never echoes the bad value', () => {
    try {
      factories.messaging({ bearer: 123456789 });
      assert.fail('accepted a numeric bearer');
    } catch (e) {
      assert.ok(isChatshiftError(e, 'ERR_INVALID_OPTIONS'));
      assert.deepEqual(e.details, { option: 'bearer' });
      assert.doesNotMatch(e.message, /123456789/);
    }
  });

  it('bounds every adapter duration by the timer limit too', () => {
    assert.equal(
      answer('legacyChat', { pollIntervalMs: 2 ** 31 }),
      `pollIntervalMs must be a positive number up to ${MAX_TIMER_MS} ms`,
    );
    assert.equal(
      answer('messaging', { heartbeatIntervalMs: 2 ** 31 }),
      `heartbeatIntervalMs must be a positive number up to ${MAX_TIMER_MS} ms`,
    );
  });

  it('rejects a messaging domain that is no host[:port] (port 99999) as an option error', () => {
    assert.equal(
      answer('messaging', { domain: '127.0.0.1:99999' }),
      'domain must be host[:port] without scheme or path',
    );
  });
});
