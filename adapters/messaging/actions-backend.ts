import { asyncScheduler } from 'rxjs';
import { WebSocket as WsWebSocket } from 'ws';
import type { ActionsBackend } from '../../src/runtime/actions-backend.js';
import { redactingLogger, silentLogger, type Logger } from '../../src/runtime/logger.js';
import { noopMetrics, type Metrics } from '../../src/runtime/metrics.js';
import { MessagingActions } from './actions.js';
import type { MessagingOptions, ResolvedMessagingOptions } from './options.js';
import { sessionBearer } from '../../src/runtime/session.js';
import { sessionEndpoint } from './source.js';

/** Shortest wait before a read-back trusts a miss (the request deadline counts when longer). */
export const READ_BACK_DELAY_MS = 1000;

/**
 * The messaging backend's actions: their own socket (same account, host and bearer as the events),
 * opened on the first action and closed by `dispose()`.
 */
export function messagingActions(
  options: MessagingOptions,
  cfg: ResolvedMessagingOptions,
  scheme: 'ws' | 'wss',
  services: { logger?: Logger; metrics?: Metrics },
): ActionsBackend {
  const tokens = new Set<string>(typeof options.bearer === 'string' ? [options.bearer] : []);
  const logger = redactingLogger(cfg.logger ?? services.logger ?? silentLogger, () => tokens);
  return new MessagingActions({
    connection: {
      scheme,
      domain: options.domain ?? '',
      ...(options.session === undefined
        ? {}
        : { endpoint: sessionEndpoint(options.session, options, { id: options.agentId }) }),
      accountId: options.accountId ?? options.session?.accountId ?? '',
      bearer: options.session === undefined ? (options.bearer ?? '') : sessionBearer(options.session),
      WebSocket: options.WebSocket ?? WsWebSocket,
      scheduler: cfg.scheduler ?? asyncScheduler,
      backoff: cfg.backoff,
      heartbeatIntervalMs: cfg.heartbeatIntervalMs,
      heartbeatTimeoutMs: cfg.heartbeatTimeoutMs,
      requestTimeoutMs: cfg.requestTimeoutMs,
      maxFrameBytes: cfg.maxFrameBytes,
      onBearer: (t) => tokens.add(t),
    },
    // With a session and no agentId option, the agent id is not known here yet (see docs/actions.md).
    agentId: options.agentId ?? '',
    accountId: options.accountId ?? options.session?.accountId ?? '',
    // A request whose answer was lost may still be in the server's queue: wait out its deadline too.
    readBackDelayMs: Math.max(READ_BACK_DELAY_MS, cfg.requestTimeoutMs),
    // One reconnect after a drop: its backoff delay, the handshake, and the request's own deadline.
    connectWaitMs: cfg.backoff.initialMs + cfg.heartbeatTimeoutMs + cfg.requestTimeoutMs,
    logger,
    metrics: cfg.metrics ?? services.metrics ?? noopMetrics,
  });
}
