// A consumer process for restart tests: follows the simulators named in argv through
// conversationEvents() with a file checkpoint store and prints each event as one NDJSON line.
// SIGTERM stops it gracefully (unsubscribe, let the final checkpoint save finish, exit 0).
import { conversationEvents, type ConversationEventsOptions } from '../../src/cutover/conversation-events.js';
import { fileCheckpointStore } from '../../src/checkpoint/file.js';

const config = JSON.parse(process.argv[2] ?? '{}') as {
  checkpoint: string;
  backend: 'legacy-chat' | 'messaging' | 'both';
  legacy?: { agentSessionUrl: string; bearer: string };
  messaging?: { accountId: string; domain: string; bearer: string };
};
const options: ConversationEventsOptions = {
  backend: config.backend,
  checkpoint: fileCheckpointStore(config.checkpoint, { fsync: false }),
  logger: {
    warn: (m) => process.stderr.write(`warn: ${m}\n`),
    error: (m) => process.stderr.write(`error: ${m}\n`),
  },
};
if (config.legacy)
  options.legacy = {
    ...config.legacy,
    acceptIncoming: true,
    pollIntervalMs: 20,
    backoff: { initialMs: 10, maxMs: 50 },
  };
if (config.messaging) options.messaging = { ...config.messaging, backoff: { initialMs: 10, maxMs: 50 } };

const sub = conversationEvents(options).subscribe({
  next: (e) => process.stdout.write(`${JSON.stringify(e)}\n`),
  error: (e: unknown) => {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    process.exit(1);
  },
});
process.stderr.write('ready\n');
process.on('SIGTERM', () => {
  sub.unsubscribe();
  setTimeout(() => process.exit(0), 300);
});
