// A consumer process for the kill -9 test: follows the simulators named in argv through consume()
// with a file checkpoint store (each completed write reported on stderr); each event is printed as one NDJSON line once its (slow) handler
// has finished. SIGTERM stops it gracefully (consumer.stop(), then exit 0).
import { legacyChat } from '../../../adapters/legacy-chat/index.js';
import { messaging } from '../../../adapters/messaging/index.js';
import { fileCheckpointStore } from '../../../src/checkpoint/file.js';
import { consume, type ConsumeOptions } from '../../../src/consume/consume.js';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  checkpoint: string;
  legacy: { agentSessionUrl: string; bearer: string };
  messaging: { accountId: string; domain: string; bearer: string };
  handlerDelayMs: number;
  concurrency: number;
};
const file = fileCheckpointStore(config.checkpoint, { fsync: false });
const options: ConsumeOptions = {
  backend: 'both',
  // Each completed write is reported on stderr, so the test knows the cursors saved at the kill.
  checkpoint: {
    load: (backend) => file.load(backend),
    async save(backend, changes) {
      await file.save(backend, changes);
      const seqs = Object.fromEntries(Object.entries(changes).map(([id, cp]) => [id, cp?.seq ?? null]));
      process.stderr.write(`saved ${JSON.stringify({ backend, seqs })}\n`);
    },
  },
  concurrency: config.concurrency,
  highWaterMark: 200,
  legacy: legacyChat({
    ...config.legacy,
    acceptIncoming: true,
    pollIntervalMs: 20,
    backoff: { initialMs: 10, maxMs: 50 },
  }),
  messaging: messaging({ ...config.messaging, backoff: { initialMs: 10, maxMs: 50 } }),
  logger: {
    warn: (m) => process.stderr.write(`warn: ${m}\n`),
    error: (m) => process.stderr.write(`error: ${m}\n`),
  },
};
const consumer = consume(options, async (e) => {
  await new Promise((r) => setTimeout(r, config.handlerDelayMs));
  process.stdout.write(`${JSON.stringify(e)}\n`);
});
consumer.done.then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  },
);
process.on('SIGTERM', () => void consumer.stop());
process.stderr.write('ready\n');
