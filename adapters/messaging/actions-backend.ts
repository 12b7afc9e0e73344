import { asyncScheduler } from 'rxjs';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import type { ActionsBackend } from '../../src/runtime/actions-backend.js';
import { redactingLogger, silentLogger, type Logger } from '../../src/runtime/logger.js';
import { noopMetrics, type Metrics } from '../../src/runtime/metrics.js';
import type { Session as LoginSession } from '../../src/runtime/session.js';
import { MessagingActions } from './actions.js';
import type { MessagingOptions, ResolvedMessagingOptions } from './options.js';
import type { SocketShare } from './socket-share.js';
import { sharedConnectionSettings } from './source.js';

/** Shortest wait before a read-back trusts a miss (the request deadline counts when longer). */
export const READ_BACK_DELAY_MS = 1000;

/**
 * The messaging backend's actions: over the socket of the same backend object's `events()` while
 * one runs (`share`), else over a socket of their own (same account, host and bearer), opened on
 * the first action and closed after `actionsIdleMs` with nothing to do, or by `dispose()`.
 */
export function messagingActions(
  options: MessagingOptions,
  cfg: ResolvedMessagingOptions,
  scheme: 'ws' | 'wss',
  services: { logger?: Logger; metrics?: Metrics },
  share?: SocketShare,
): ActionsBackend {
  const tokens = new Set<string>(typeof options.bearer === 'string' ? [options.bearer] : []);
  const logger = redactingLogger(cfg.logger ?? services.logger ?? silentLogger, () => tokens);
  const accountId = options.accountId ?? options.session?.accountId ?? '';
  const agent: { id: string | undefined } = { id: options.agentId };
  return new MessagingActions({
    sockets: {
      connection: {
        ...sharedConnectionSettings(options, cfg, scheme, { id: options.agentId }, (t) => tokens.add(t)),
        scheduler: cfg.scheduler ?? asyncScheduler,
      },
      share,
      // One reconnect after a drop: its backoff delay, the handshake, and the request's own deadline.
      connectWaitMs: cfg.backoff.initialMs + cfg.heartbeatTimeoutMs + cfg.requestTimeoutMs,
      idleCloseMs: cfg.actionsIdleMs,
    },
    agentId: async (what) => {
      if (agent.id !== undefined) return agent.id;
      agent.id = await sessionAgentId(options.session, accountId, what);
      return agent.id;
    },
    accountId,
    // A request whose answer was lost may still be in the server's queue: wait out its deadline too.
    readBackDelayMs: Math.max(READ_BACK_DELAY_MS, cfg.requestTimeoutMs),
    logger,
    metrics: cfg.metrics ?? services.metrics ?? noopMetrics,
  });
}

/**
 * The agent id from the session (`${accountId}.${userId}`), or a coded error naming the action
 * that needs it: `ERR_INVALID_OPTIONS` without a session or for an id of the wrong form, the
 * session's own code (`ERR_SESSION_CLOSED`, `ERR_AUTH_REJECTED`, …) when it cannot say. Never `''`.
 */
async function sessionAgentId(
  session: LoginSession | undefined,
  accountId: string,
  what: string,
): Promise<string> {
  if (session === undefined)
    throw new ChatshiftError(
      'ERR_INVALID_OPTIONS',
      `messaging: ${what} needs the agentId option (or a session)`,
      {
        details: { option: 'agentId' },
      },
    );
  let id: unknown;
  try {
    id = await session.agentId();
  } catch (e) {
    if (isChatshiftError(e)) throw e;
    throw new ChatshiftError(
      'ERR_INVALID_OPTIONS',
      `messaging: ${what} needs the agent id; the session could not give it`,
      {
        cause: e,
        details: { option: 'session' },
      },
    );
  }
  if (typeof id !== 'string' || !id.startsWith(`${accountId}.`) || id.length === accountId.length + 1)
    throw new ChatshiftError(
      'ERR_INVALID_OPTIONS',
      `messaging: ${what} needs the agent id; the session gave none of the form \`\${accountId}.\${userId}\``,
      { details: { option: 'session' } },
    );
  return id;
}
