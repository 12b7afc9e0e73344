// A consumer process for restart tests: follows the simulators named in argv through
// conversationEvents() with a file checkpoint store and prints each event as one NDJSON line.
// SIGTERM stops it gracefully (the `stop` option: the stream completes once the final checkpoint
// is saved, then exit 0).
// With `handlerDelayMs` the consumer is asynchronous: each event is printed only after that delay,
// through flowControl, whose checkpoints() keeps the file store from running ahead of it.
import { tap, type Observable } from 'rxjs';
import { conversationEvents, type ConversationEventsOptions } from '../../src/cutover/conversation-events.js';
import { fileCheckpointStore } from '../../src/checkpoint/file.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { flowControl } from '../../src/runtime/flow.js';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  checkpoint: string;
  backend: 'legacy-chat' | 'messaging' | 'both';
  legacy?: { agentSessionUrl: string; bearer: string };
  messaging?: { accountId: string; domain: string; bearer: string };
  handlerDelayMs?: number;
};
const store = fileCheckpointStore(config.checkpoint, { fsync: false });
const flow = config.handlerDelayMs === undefined ? undefined : flowControl({ highWaterMark: 50 });
const stop = new AbortController();
const options: ConversationEventsOptions = {
  backend: config.backend,
  stop: stop.signal,
  checkpoint: flow === undefined ? store : flow.checkpoints(store),
  ...(flow === undefined ? {} : { flow }),
  logger: {
    warn: (m) => process.stderr.write(`warn: ${m}\n`),
    error: (m) => process.stderr.write(`error: ${m}\n`),
  },
};
if (config.legacy)
  options.legacy = legacyChat({
    ...config.legacy,
    acceptIncoming: true,
    pollIntervalMs: 20,
    backoff: { initialMs: 10, maxMs: 50 },
  });
if (config.messaging)
  options.messaging = messaging({ ...config.messaging, backoff: { initialMs: 10, maxMs: 50 } });

const events = conversationEvents(options);
const print = (e: ConversationEvent): void => void process.stdout.write(`${JSON.stringify(e)}\n`);
const handled: Observable<unknown> =
  flow === undefined
    ? events.pipe(tap(print))
    : events.pipe(
        flow.process(async (e: ConversationEvent) => {
          await new Promise((r) => setTimeout(r, config.handlerDelayMs));
          print(e);
        }),
      );
handled.subscribe({
  error: (e: unknown) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  },
  complete: () => process.exit(0),
});
process.stderr.write('ready\n');
process.on('SIGTERM', () => stop.abort());
