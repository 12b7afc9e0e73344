import { legacyRunOnce, type LegacyThroughputSize } from './legacy-throughput.js';
import {
  messagingRun,
  type MessagingContender,
  type MessagingThroughputSize,
} from './messaging-throughput.js';

// Runs under `node --expose-gc --import tsx` (bench/isolated.ts forks it): one run of one
// contender, simulator included, in a process of its own; the result goes back over IPC.

export type IsolatedRequest =
  | { kind: 'messaging'; who: MessagingContender; size: MessagingThroughputSize }
  | { kind: 'legacy'; who: 'chatshift' | 'raw'; size: LegacyThroughputSize };

process.once('message', (req: IsolatedRequest) => {
  const result =
    req.kind === 'messaging'
      ? messagingRun(req.size, req.who)
      : req.who === 'chatshift' || req.who === 'raw'
        ? legacyRunOnce(req.size, req.who)
        : Promise.reject(new Error(`bench: no legacy contender "${String(req.who)}" (chatshift, raw)`));
  result.then(
    (r) => process.send?.({ ok: r }, () => process.exit(0)),
    (e: unknown) =>
      process.send?.({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, () =>
        process.exit(1),
      ),
  );
});
