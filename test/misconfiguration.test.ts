import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryProvider, OpenFeature } from '@openfeature/server-sdk';
import { Subscription, type Observable } from 'rxjs';
import { LegacyChatSimulator, legacyChat } from '../adapters/legacy-chat/index.js';
import { messaging } from '../adapters/messaging/index.js';
import { fileCheckpointStore } from '../src/checkpoint/file.js';
import { memoryCheckpointStore } from '../src/checkpoint/memory.js';
import { consume, type ConsumeOptions } from '../src/consume/consume.js';
import { conversationEvents } from '../src/cutover/conversation-events.js';
import { fromOpenFeature } from '../src/cutover/open-feature.js';
import { isChatshiftError, type ErrorCode } from '../src/errors.js';
import { recordingLogger, type RecordingLogger } from './support/logger.js';
import { sleep, waitFor } from './support/wait.js';

// Issue #14: each misconfiguration a new user hit gets a coded error or exactly one clear warning
// (through chatshift's logger), at construction where possible. One row per case.

/** What a row expects: a coded error (thrown at the call, or the stream's), or one warning. */
type Expected =
  | { error: ErrorCode; at: 'construction' | 'subscribe'; message: RegExp }
  | { warning: RegExp; code?: ErrorCode; idle?: true };

interface Row {
  name: string;
  expected: Expected;
  /** Builds the case; returns the stream to subscribe to (or throws at construction). */
  run(ctx: { logger: RecordingLogger; sim: LegacyChatSimulator }): Promise<Observable<unknown>>;
}

const flagConfig = (value: string) => ({
  'chatshift-backend': { disabled: false, defaultVariant: 'v', variants: { v: value } },
});

/** An OpenFeature client whose `chatshift-backend` flag holds `value` (change it with the provider). */
async function openFeature(
  name: string,
  value: string,
): Promise<{ provider: InMemoryProvider; client: ReturnType<typeof OpenFeature.getClient> }> {
  const provider = new InMemoryProvider(flagConfig(value));
  await OpenFeature.setProviderAndWait(name, provider);
  return { provider, client: OpenFeature.getClient(name) };
}

const legacyOf = (sim: LegacyChatSimulator, extra: Record<string, unknown> = { acceptIncoming: true }) =>
  legacyChat({ ...sim.clientOptions(), pollIntervalMs: 20, backoff: { initialMs: 10, maxMs: 50 }, ...extra });

const rows: Row[] = [
  {
    name: "an OpenFeature variant that is not a backend ('legacy')",
    expected: {
      error: 'ERR_BACKEND_UNAVAILABLE',
      at: 'subscribe',
      message: /"legacy", not a backend.*'legacy-chat'/,
    },
    async run({ logger, sim }) {
      const { client } = await openFeature('misconf-typo', 'legacy');
      return conversationEvents({
        backend: fromOpenFeature(client, 'chatshift-backend'),
        legacy: legacyOf(sim),
        logger,
      });
    },
  },
  {
    name: 'an OpenFeature variant that turns into a non-backend value while running',
    expected: {
      warning: /"sms", not a backend.*ignored, keeping 'legacy-chat'/,
      code: 'ERR_BACKEND_UNAVAILABLE',
    },
    async run({ logger, sim }) {
      const { provider, client } = await openFeature('misconf-later', 'legacy-chat');
      const flag$ = fromOpenFeature(client, 'chatshift-backend');
      setTimeout(() => provider.putConfiguration(flagConfig('sms')), 50);
      return conversationEvents({ backend: flag$, legacy: legacyOf(sim), logger });
    },
  },
  {
    name: 'a misspelled OpenFeature flag key (FLAG_NOT_FOUND)',
    expected: {
      warning: /chatshift-backnd was not found \(FLAG_NOT_FOUND\); using the default 'legacy-chat'/,
    },
    async run({ logger, sim }) {
      const { client } = await openFeature('misconf-key', 'messaging');
      return conversationEvents({
        backend: fromOpenFeature(client, 'chatshift-backnd'),
        legacy: legacyOf(sim),
        logger,
      });
    },
  },
  {
    name: "a messaging agentId without its account ('77' for '123.77')",
    expected: {
      error: 'ERR_INVALID_OPTIONS',
      at: 'construction',
      message: /agentId must be of the form `\$\{accountId\}\.\$\{userId\}` \(e\.g\. '123\.77'\)/,
    },
    run: () => {
      messaging({ accountId: '123', domain: '127.0.0.1:1', bearer: 'token-123', agentId: '77' });
      return Promise.reject(new Error('no error thrown'));
    },
  },
  {
    name: 'a messaging agentId of another account',
    expected: {
      error: 'ERR_INVALID_OPTIONS',
      at: 'construction',
      message: /agentId must be .* with this accountId \('123\.…'\)/,
    },
    run: () => {
      messaging({ accountId: '123', domain: '127.0.0.1:1', bearer: 'token-123', agentId: '456.77' });
      return Promise.reject(new Error('no error thrown'));
    },
  },
  {
    name: 'a legacy backend with neither chats nor acceptIncoming',
    expected: {
      warning: /legacy-chat: nothing to follow — give `chats` .* or `acceptIncoming: true`/,
      code: 'ERR_INVALID_OPTIONS',
      idle: true,
    },
    run: ({ logger, sim }) =>
      Promise.resolve(conversationEvents({ backend: 'legacy-chat', legacy: legacyOf(sim, {}), logger })),
  },
  {
    name: 'a checkpoint file in a folder that does not exist',
    expected: {
      error: 'ERR_INVALID_OPTIONS',
      at: 'construction',
      message: /the folder .*chatshift-no-such-folder does not exist/,
    },
    run: () => {
      fileCheckpointStore(join(tmpdir(), 'chatshift-no-such-folder', 'checkpoint.json'));
      return Promise.reject(new Error('no error thrown'));
    },
  },
  {
    name: 'consume() without a checkpoint store',
    expected: {
      error: 'ERR_INVALID_OPTIONS',
      at: 'construction',
      message: /consume: checkpoint must be a checkpoint store/,
    },
    run: ({ logger, sim }) => {
      consume(
        { backend: 'legacy-chat', legacy: legacyOf(sim), logger } as unknown as ConsumeOptions,
        () => {},
      );
      return Promise.reject(new Error('no error thrown'));
    },
  },
  {
    name: 'a flag naming a backend that was not given',
    expected: {
      error: 'ERR_BACKEND_UNAVAILABLE',
      at: 'subscribe',
      message: /flag 'messaging' needs options for messaging/,
    },
    run: ({ logger, sim }) =>
      Promise.resolve(
        conversationEvents({
          backend: 'messaging',
          legacy: legacyOf(sim),
          logger,
          checkpoint: memoryCheckpointStore(),
        }),
      ),
  },
];

describe('misconfiguration is loud (#14): one row per case', function () {
  this.timeout(20_000);
  let sim: LegacyChatSimulator;
  const subs = new Subscription();
  before(async () => {
    sim = await LegacyChatSimulator.start();
  });
  after(async () => {
    subs.unsubscribe();
    await sim.close();
    await OpenFeature.close();
  });

  for (const row of rows) {
    it(`${row.name}: ${'error' in row.expected ? `${row.expected.error} at ${row.expected.at}` : 'one warning'}`, async () => {
      const logger = recordingLogger();
      const expected = row.expected;
      let stream;
      try {
        stream = await row.run({ logger, sim });
      } catch (e) {
        assert.ok(
          'error' in expected && expected.at === 'construction',
          `thrown at construction: ${String(e)}`,
        );
        assert.ok(isChatshiftError(e, expected.error), String(e));
        assert.match((e as Error).message, expected.message);
        return;
      }
      assert.ok(!('error' in expected && expected.at === 'construction'), 'nothing thrown at construction');
      let failed: unknown;
      const sub = stream.subscribe({ error: (e: unknown) => (failed = e) });
      subs.add(sub);
      if ('error' in expected) {
        await waitFor(() => failed !== undefined, `the stream failing with ${expected.error}`);
        assert.ok(isChatshiftError(failed, expected.error), String(failed));
        assert.match((failed as Error).message, expected.message);
        return;
      }
      const matching = () =>
        logger.records.filter((r) => r.level === 'warn' && expected.warning.test(r.message));
      await waitFor(
        () => matching().length > 0,
        () => `the warning; logged: ${logger.lines().join('\n')}`,
      );
      // Still one after some more polling: a warning, not a warning per cycle. (An idle backend
      // sends no request: a short window instead.)
      const polls = sim.requests.length;
      if (expected.idle === true) await sleep(200);
      else await waitFor(() => sim.requests.length >= polls + 5, 'five more requests');
      sub.unsubscribe();
      assert.equal(matching().length, 1, logger.lines().join('\n'));
      if (expected.code !== undefined) assert.equal(matching()[0]?.fields?.['code'], expected.code);
      assert.equal(failed, undefined);
    });
  }
});
