import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, Subject, tap, toArray } from 'rxjs';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { fileCheckpointStore } from '../../src/checkpoint/file.js';
import { conversationEvents } from '../../src/cutover/conversation-events.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { bothSimulatorsPerSuite } from '../support/simulators.js';

// Issue #11: a graceful stop must flush the last checkpoint, so a restart re-delivers nothing.
describe('conversationEvents: graceful stop (#11)', function () {
  this.timeout(60_000);
  const sims = bothSimulatorsPerSuite();
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'chatshift-stop-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** One pipeline with its own file store instance (as a restarted process has). */
  const pipeline = (path: string, stop: AbortSignal | Subject<void>) =>
    conversationEvents({
      backend: 'both',
      checkpoint: fileCheckpointStore(path, { fsync: false }),
      legacy: legacyChat({
        ...sims.legacy.clientOptions(),
        acceptIncoming: true,
        pollIntervalMs: 20,
        backoff: { initialMs: 10, maxMs: 50 },
      }),
      messaging: messaging({
        ...sims.messaging.clientOptions(),
        backoff: { initialMs: 10, maxMs: 50 },
      }),
      stop,
    });

  /** Runs a pipeline until `done(events)`, then stops it gracefully; resolves once the stream completed. */
  const runUntil = async (
    path: string,
    done: (events: ConversationEvent[]) => boolean,
    kind: 'signal' | 'observable',
  ): Promise<ConversationEvent[]> => {
    const controller = new AbortController();
    const stop$ = new Subject<void>();
    const seen: ConversationEvent[] = [];
    const all = lastValueFrom(
      pipeline(path, kind === 'signal' ? controller.signal : stop$).pipe(
        tap((e) => {
          seen.push(e);
          // Stop right after the event that completes the run: nothing later can be saved by luck.
          if (done(seen)) {
            if (kind === 'signal') controller.abort();
            else stop$.next();
          }
        }),
        toArray(),
      ),
    );
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the stream did not complete after the stop')), 20_000),
    );
    return Promise.race([all, timeout]);
  };

  for (const kind of ['signal', 'observable'] as const) {
    it(`completes once the checkpoint is saved (stop as ${kind === 'signal' ? 'an AbortSignal' : 'an Observable'}); a restart re-delivers 0`, async () => {
      const path = join(dir, `${kind}.json`);
      const keys = Array.from({ length: 5 }, () => sims.legacy.openConversation({ waiting: true }));
      const convs = Array.from({ length: 5 }, (_, i) =>
        sims.messaging.openConversation({ consumerId: `c${i}`, agentId: sims.messaging.agentId }),
      );
      const say = (round: string): void => {
        for (let i = 0; i < 3; i++) {
          for (const k of keys) sims.legacy.consumerSays(k, `${round}-${i} ${k}`);
          for (const c of convs) sims.messaging.consumerSays(c, `${round}-${i} ${c}`);
        }
      };
      const saw = (round: string) => (events: ConversationEvent[]) =>
        [...keys, ...convs].every((c) =>
          events.some((e) => e.conversationId === c && e.type === 'message' && e.text === `${round}-2 ${c}`),
        );
      say('one');
      const first = await runUntil(path, saw('one'), kind);
      assert.ok(saw('one')(first));
      say('two');
      const second = await runUntil(path, saw('two'), kind);
      const before = new Set(first.map((e) => e.id));
      const again = second.filter((e) => before.has(e.id));
      assert.deepEqual(
        again.map((e) => e.id),
        [],
        'events delivered again after a graceful stop and a restart',
      );
      assert.ok(saw('two')(second));
    });
  }

  it('a stop asked at once, before the checkpoint was even read, still completes the stream', async () => {
    const stop$ = new Subject<void>();
    const events$ = conversationEvents({
      backend: 'legacy-chat',
      // Nothing listens there: without the stop the source would retry for ever.
      legacy: legacyChat({
        agentSessionUrl: 'http://127.0.0.1:9/agentSession',
        bearer: 'b',
        backoff: { initialMs: 10 },
      }),
      stop: stop$,
    });
    const done = lastValueFrom(events$.pipe(toArray()));
    stop$.next();
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('the stream did not complete after the stop')), 3000),
    );
    assert.deepEqual(await Promise.race([done, timeout]), []);
  });
});
