import type { ActionsBackend } from '../../src/runtime/actions-backend.js';
import { invalidInputReporter } from '../../src/runtime/invalid-input.js';
import { redactingLogger, silentLogger, type Logger } from '../../src/runtime/logger.js';
import { noopMetrics, type Metrics } from '../../src/runtime/metrics.js';
import { legacyActions, type AgentSessionHandle } from './actions.js';
import { AgentSessionClient } from './client.js';
import type { Validated } from './options.js';
import type { AgentSessionHandle as SessionHandle } from './agent-session.js';
import { ChatshiftError } from '../../src/errors.js';

/** How long a legacy incoming chat waits for an accept before the agent turns Away (DC accept-chat). */
export const LEGACY_OFFER_TTL_MS = 20_000;

/**
 * The legacy backend's actions over the agent session its options name. The session is yielded by
 * one small function, so a session manager (creating and renewing agent sessions) plugs in there;
 * until then the actions carry the backend's bearer and keep the session's cookies in their own jar.
 */
export function legacyActionsBackend(
  validated: Validated,
  services: { logger?: Logger; metrics?: Metrics },
  adopt: (key: string) => void,
  current: () => SessionHandle | undefined,
): ActionsBackend {
  const metrics = validated.metrics ?? services.metrics ?? noopMetrics;
  let handle: AgentSessionHandle | undefined;
  const logger = redactingLogger(validated.logger ?? services.logger ?? silentLogger, () => [
    ...(typeof validated.bearer === 'string' ? [validated.bearer] : []),
    ...(handle?.client.secrets() ?? []),
  ]);
  const source = validated.agentSession;
  const agentSession = (): Promise<AgentSessionHandle> => {
    if (source.kind === 'session') {
      // The agent session is created and renewed by the backend's running events(): act in it.
      const live = current();
      if (live === undefined)
        return Promise.reject(
          new ChatshiftError(
            'ERR_CONNECTION',
            'legacy-chat: no agent session yet; actions run in the one the events() subscription creates',
          ),
        );
      return Promise.resolve({ agentSessionUrl: live.url, client: live.client });
    }
    handle ??= {
      agentSessionUrl: source.url,
      client: new AgentSessionClient({
        bearer: validated.bearer ?? '',
        dispatcher: validated.dispatcher,
        maxResponseBytes: validated.maxResponseBytes,
        requestTimeoutMs: validated.requestTimeoutMs,
        logger,
        metrics,
        report: invalidInputReporter(logger, metrics),
      }),
    };
    return Promise.resolve(handle);
  };
  return legacyActions({
    agentSession,
    pollIntervalMs: validated.pollIntervalMs,
    // A request the client gave up on may still be processed: a miss is trusted only after the
    // longer of a poll interval and the request deadline.
    readBackDelayMs: Math.max(validated.pollIntervalMs, validated.requestTimeoutMs),
    offerTtlMs: LEGACY_OFFER_TTL_MS,
    adopt,
    logger,
    metrics,
  });
}
