import { parseArgs } from 'node:util';
import { counterMetrics } from '../runtime/metrics.js';
import { ChatshiftError } from '../errors.js';
import { conversationEvents, type ConversationEventsOptions } from '../cutover/conversation-events.js';
import { isBackendChoice } from '../cutover/backend-flag.js';
import { legacyChat } from '../../adapters/legacy-chat/index.js';
import { messaging } from '../../adapters/messaging/index.js';
import { fileCheckpointStore } from '../checkpoint/file.js';
import type { Logger } from '../runtime/logger.js';
import { createView } from './view.js';
import { Tally } from './summary.js';
import type { CliIo } from './run.js';
import { alignedBlock, counts, logLine, parseTypes, useColour } from './format.js';
import { redact } from '../runtime/logger.js';
import { credentialFlags, credentialHelp, sessionFromFlags } from './credentials.js';

export const tailHelp = `chatshift tail: follow real LivePerson endpoints and print their events.

Usage:
  chatshift tail --backend <legacy-chat|messaging|both> --account ID --username U --password-env NAME [options]
  chatshift tail --backend <legacy-chat|messaging|both> --bearer-env NAME [options]

Options:
  --backend B             which backend(s) to follow (required)
  --bearer-env NAME       environment variable holding the bearer token (required; never pass
                          a token as an argument: arguments are visible to other processes)
${credentialHelp}  --legacy-session URL    legacy: the agent-session URL (.../api/account/{id}/agentSession/{sid})
  --chats K1,K2           legacy: chat session keys to follow
  --accept-incoming       legacy: accept ringing chats and follow them
  --poll-interval-ms N    legacy: poll interval (default 2000)
  --messaging-domain HOST messaging: the asyncMessagingEnt host[:port]
  --account ID            messaging: the account id
  --agent-id ID           messaging: "{accountId}.{userId}" for the agentIds filter
  --checkpoint FILE       keep cursors in FILE, so a restart resumes without loss or duplicates
  --json                  print NDJSON events instead of the readable view (and a JSON summary)
  --types T1,T2           show only these event types (message, state, typing, participant,
                          receipt); the summary counts every event
  --verbose               log retries and reconnects to stderr, with their code and reason

Stops on Ctrl-C (SIGINT) or SIGTERM and prints a summary.
`;

/** How long a graceful stop may take to save the checkpoint before the CLI stops anyway, in ms. */
const STOP_DEADLINE_MS = 5000;

/** `chatshift tail`: returns the exit code. */
export async function runTail(argv: readonly string[], io: CliIo, signal: AbortSignal): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      backend: { type: 'string' },
      'bearer-env': { type: 'string' },
      'legacy-session': { type: 'string' },
      chats: { type: 'string' },
      'accept-incoming': { type: 'boolean', default: false },
      'poll-interval-ms': { type: 'string' },
      'messaging-domain': { type: 'string' },
      account: { type: 'string' },
      'agent-id': { type: 'string' },
      checkpoint: { type: 'string' },
      json: { type: 'boolean', default: false },
      types: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...credentialFlags,
    },
  });
  if (values.help) {
    io.stdout.write(tailHelp);
    return 0;
  }
  const usage = (m: string) => new ChatshiftError('ERR_USAGE', m);
  const backend = values.backend;
  if (!isBackendChoice(backend)) throw usage('--backend must be legacy-chat, messaging or both');
  const wantsLegacy = backend !== 'messaging';
  const wantsMessaging = backend !== 'legacy-chat';
  const options: ConversationEventsOptions = { backend };
  const types = parseTypes(values.types);
  const envName = values['bearer-env'];
  // The adapters redact their own lines; the token is redacted here once more, as the last stop.
  const log =
    (level: string) =>
    (m: string, fields?: Record<string, unknown>): void => {
      const token = envName === undefined ? '' : (io.env[envName] ?? '');
      io.stderr.write(`${redact(logLine(level, m, fields), [token])}\n`);
    };
  const logger: Logger = values.verbose
    ? { info: log('info'), warn: log('warn'), error: log('error') }
    : { warn: log('warn'), error: log('error') };
  options.logger = logger;
  const metrics = counterMetrics();
  options.metrics = metrics;
  if (values.checkpoint !== undefined) options.checkpoint = fileCheckpointStore(values.checkpoint);

  // Credentials (one login shared by both backends), or a bearer made elsewhere.
  const session = sessionFromFlags(values, io.env, logger);
  if (session === undefined && envName === undefined)
    throw usage('--username U with --password-env NAME, or --bearer-env NAME, is required');
  if (session !== undefined && envName !== undefined)
    throw usage('give --username or --bearer-env, not both');
  const bearer = () => {
    const token = io.env[envName ?? ''];
    if (token === undefined || token === '') {
      throw usage(`environment variable ${envName} is empty or not set`);
    }
    return token;
  };
  if (session === undefined) bearer(); // fail fast, before any connection
  const auth = session === undefined ? { bearer } : { session };

  if (wantsLegacy) {
    const url = values['legacy-session'];
    if (url === undefined && session === undefined)
      throw usage(`--legacy-session URL (or --username) is required for --backend ${backend}`);
    const interval = values['poll-interval-ms'];
    options.legacy = legacyChat({
      ...(url === undefined ? {} : { agentSessionUrl: url }),
      ...auth,
      acceptIncoming: values['accept-incoming'],
      ...(values.chats === undefined ? {} : { chats: values.chats.split(',').filter((k) => k !== '') }),
      ...(interval === undefined ? {} : { pollIntervalMs: Number(interval) }),
    });
  }
  if (wantsMessaging) {
    const domain = values['messaging-domain'];
    const accountId = values.account;
    if (session === undefined && (domain === undefined || accountId === undefined)) {
      throw usage(`--messaging-domain HOST and --account ID are required for --backend ${backend}`);
    }
    const agentId = values['agent-id'];
    options.messaging = messaging({
      ...(domain === undefined ? {} : { domain }),
      ...(accountId === undefined ? {} : { accountId }),
      ...auth,
      ...(agentId === undefined ? {} : { agentId }),
    });
  }

  // A graceful stop (SIGINT/SIGTERM, or the reader of stdout going away, as `head` does): the
  // stream completes once the checkpoint is saved; bounded, so a stuck save cannot hold the exit.
  const halt = new AbortController();
  options.stop = halt.signal;
  const onStop = (): void => halt.abort();
  if (signal.aborted) onStop();
  else signal.addEventListener('abort', onStop, { once: true });
  let outputGone = false;
  const onOutputError = (e: NodeJS.ErrnoException): void => {
    if (outputGone) return;
    outputGone = true;
    if (e.code !== 'EPIPE') io.stderr.write(`chatshift: cannot write the output (${e.code ?? e.message})\n`);
    halt.abort();
  };
  io.stdout.on('error', onOutputError);
  const view = createView(io, {
    json: values.json,
    colour: useColour(io.stdout.isTTY, io.env),
    types,
  });
  const tally = new Tally();
  const started = Date.now();
  const code = await new Promise<number>((resolve) => {
    const sub = conversationEvents(options).subscribe({
      next(e) {
        tally.add(e);
        if (outputGone) return;
        view.event(e);
        view.progress({
          perBackend: tally.perBackend,
          open: tally.openConversations,
          backend,
          elapsedMs: Date.now() - started,
        });
      },
      error(e: unknown) {
        view.end();
        io.stderr.write(`chatshift: ${describeError(e)}\n`);
        resolve(1);
      },
      complete: () => resolve(0),
    });
    halt.signal.addEventListener(
      'abort',
      () => {
        setTimeout(() => {
          logger.warn(`the graceful stop took over ${STOP_DEADLINE_MS} ms; stopping now`);
          sub.unsubscribe();
          resolve(0);
        }, STOP_DEADLINE_MS).unref();
      },
      { once: true },
    );
  });
  signal.removeEventListener('abort', onStop);
  await session?.close();
  if (outputGone) {
    io.stderr.write(
      `summary: ${JSON.stringify({ events: tally.perBackend, output: 'closed by its reader' })}\n`,
    );
    return code;
  }
  view.end();
  const m = metrics.snapshot();
  const summary = {
    durationMs: Date.now() - started,
    events: tally.perBackend,
    types: tally.perType,
    duplicatesDropped: m['events.duplicates'] ?? 0,
    httpRequests: m['http.requests'] ?? 0,
    wsFramesIn: m['ws.frames.in'] ?? 0,
    wsFramesOut: m['ws.frames.out'] ?? 0,
  };
  if (values.json) {
    io.stderr.write(`summary: ${JSON.stringify(summary)}\n`);
    return code;
  }
  // The readable view gets the demo's aligned summary, after the events on stdout.
  io.stdout.write(
    alignedBlock(`summary (${(summary.durationMs / 1000).toFixed(1)} s)`, [
      ['events', counts(summary.events)],
      ['by type', counts(summary.types)],
      ['open conversations', String(tally.openConversations)],
      ['duplicates dropped', String(summary.duplicatesDropped)],
      ['HTTP requests', String(summary.httpRequests)],
      ['WebSocket frames', `${summary.wsFramesIn} in, ${summary.wsFramesOut} out`],
    ]),
  );
  return code;
}

export function describeError(e: unknown): string {
  if (e instanceof ChatshiftError) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
