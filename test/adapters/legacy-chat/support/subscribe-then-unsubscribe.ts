// Child process for the "nothing keeps the process alive" test: subscribes to the simulator the
// parent runs, waits for events, unsubscribes, and must then exit on its own.
import { legacyChatSource } from '../../../../adapters/legacy-chat/index.js';

const [client, key] = process.argv.slice(2);
let seen = 0;
const sub = legacyChatSource({
  ...(JSON.parse(client ?? '{}') as { agentSessionUrl: string; bearer: string }),
  chats: [key ?? ''],
  pollIntervalMs: 20,
  backoff: { initialMs: 5 },
}).subscribe({
  next: () => {
    seen += 1;
    if (seen === 4) {
      // Leave a poll in flight: the parent made the next one hang.
      setTimeout(() => {
        sub.unsubscribe();
        process.stdout.write('unsubscribed\n');
      }, 60);
    }
  },
  error: (e: unknown) => {
    process.stderr.write(`error ${String(e)}\n`);
    process.exitCode = 1;
  },
});
