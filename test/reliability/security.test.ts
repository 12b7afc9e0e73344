import assert from 'node:assert/strict';
import { LegacyChatSimulator, legacyChatSource } from '../../adapters/legacy-chat/index.js';
import { MessagingSimulator, messagingSource } from '../../adapters/messaging/index.js';
import { isChatshiftError } from '../../src/errors.js';
import type { ConversationEvent } from '../../src/model/event.js';
import type { Logger } from '../../src/runtime/logger.js';

import { legacyRun } from './support/legacy-run.js';
import { messagingRun } from './support/messaging-run.js';
import { rng, runSeed } from './support/prng.js';
import { sleep, waitFor } from '../support/wait.js';
import { spawnCli } from '../support/cli.js';

/** Every logger call, all levels, serialised with its fields. */
function capture(): Logger & { text: () => string } {
  const lines: string[] = [];
  const at = (level: string) => (m: string, f?: Record<string, unknown>) => {
    lines.push(
      `${level} ${m} ${JSON.stringify(f ?? {}, (_k, v: unknown) => (v instanceof Error ? errorText(v) : v))}`,
    );
  };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    text: () => lines.join('\n'),
  };
}

/** Message, stack, details and the whole cause chain of an error. */
function errorText(e: unknown, depth = 0): string {
  if (!(e instanceof Error) || depth > 8) return String(e);
  const details = (e as { details?: unknown }).details;
  return `${e.name}: ${e.message}\n${e.stack ?? ''}\n${JSON.stringify(details ?? {})}\ncause: ${errorText(e.cause, depth + 1)}`;
}

function assertNoSecret(text: string, secrets: string[], where: string): void {
  for (const s of secrets) {
    for (const form of new Set([s, encodeURIComponent(s)])) {
      assert.ok(!text.includes(form), `${where} contains the bearer (${form})`);
    }
  }
}

describe('security: the bearer never leaks, transports and inputs are guarded', function () {
  this.timeout(60_000);
  const seed = runSeed('security');

  it('a legacy fault run (401 re-auth, token rotation, 5xx, resets, bad bodies) never logs the bearer', async () => {
    const log = capture();
    const prefix = 'SECRET-legacy/bearer+=?';
    const result = await legacyRun(rng(seed), { chats: 4, steps: 80, logger: log, bearerPrefix: prefix });
    assert.ok(log.text().length > 0 && Object.keys(result.faults).length > 0);
    assertNoSecret(`${log.text()}\n${errorText(result.error)}`, [prefix], 'legacy logs');
  });

  it('a messaging fault run (4401, handshake 401, drops) never logs the bearer, which travels in the URL path', async () => {
    const log = capture();
    const result = await messagingRun(rng(seed + 1), { conversations: 4, steps: 80, logger: log });
    assert.ok(log.text().includes('messaging:'));
    // The simulator issues TOKEN-n; every one it issued must be absent.
    const tokens = Array.from({ length: 50 }, (_, i) => `TOKEN-${i + 1}`);
    assertNoSecret(`${log.text()}\n${errorText(result.error)}`, tokens, 'messaging logs');
  });

  it('a rejected bearer ends both streams with a coded error that carries no bearer anywhere in its chain', async () => {
    const secret = 'SECRET-rejected-token/+=';
    const legacy = await LegacyChatSimulator.start({ bearer: 'right' });
    const messaging = await MessagingSimulator.start();
    const log = capture();
    const errors: unknown[] = [];
    const subs = [
      legacyChatSource({
        agentSessionUrl: legacy.agentSessionUrl,
        bearer: secret,
        chats: [legacy.openConversation()],
        pollIntervalMs: 10,
        logger: log,
      }),
      messagingSource({
        accountId: messaging.accountId,
        domain: messaging.domain,
        bearer: () => secret,
        logger: log,
        backoff: { initialMs: 5, maxMs: 10 },
      }),
    ].map((s) => s.subscribe({ error: (e: unknown) => errors.push(e) }));
    try {
      await waitFor(() => errors.length === 2, 'both streams failed');
    } finally {
      subs.forEach((s) => s.unsubscribe());
      await legacy.close();
      await messaging.close();
    }
    for (const e of errors) assert.ok(isChatshiftError(e, 'ERR_AUTH_REJECTED'), errorText(e));
    assertNoSecret(`${log.text()}\n${errors.map((e) => errorText(e)).join('\n')}`, [secret], 'errors');
  });

  it('the CLI (tail --verbose, both backends, faults while it runs) never prints the bearer', async () => {
    const secret = 'SECRET-cli-token-5e1f';
    const legacy = await LegacyChatSimulator.start({ bearer: secret });
    const messaging = await MessagingSimulator.start({ tokens: [secret] });
    try {
      const key = legacy.openConversation();
      const conv = messaging.openConversation();
      const child = spawnCli(
        [
          'tail',
          '--backend',
          'both',
          '--bearer-env',
          'LP_BEARER',
          '--legacy-session',
          legacy.agentSessionUrl,
          '--chats',
          key,
          '--poll-interval-ms',
          '20',
          '--messaging-domain',
          messaging.domain,
          '--account',
          messaging.accountId,
          '--agent-id',
          messaging.agentId,
          '--json',
          '--verbose',
        ],
        { LP_BEARER: secret },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      await waitFor(
        () => out.includes('"backend":"messaging"') && out.includes('"backend":"legacy-chat"'),
        'both streaming',
        30_000,
      );
      legacy.faults.queue({ status: 503 });
      legacy.faults.queue({ reset: true });
      legacy.faults.queue({ status: 401, body: 'oauth_problem=token_expired', contentType: 'text/plain' });
      messaging.closeConnections(4401);
      await sleep(300);
      messaging.dropConnections();
      legacy.consumerSays(key, 'after the faults');
      messaging.consumerSays(conv, 'after the faults');
      await waitFor(
        () => (out.match(/after the faults/g) ?? []).length >= 2,
        'events after the faults',
        20_000,
      );
      child.kill('SIGINT');
      await exited;
      assert.match(out, /retry|reconnect|401|closed/i, 'the verbose log did report the faults');
      assertNoSecret(out, [secret], 'CLI output');
    } finally {
      await legacy.close();
      await messaging.close();
    }
  });

  it('refuses plain http/ws to a non-loopback host unless allowInsecureTransport is set', () => {
    const legacy = (allow?: boolean) =>
      legacyChatSource({
        agentSessionUrl: 'http://chat.example.com/api/account/1/agentSession/s',
        bearer: 't',
        ...(allow ? { allowInsecureTransport: true } : {}),
      });
    const messaging = (allow?: boolean) =>
      messagingSource({
        accountId: '1',
        domain: 'msg.example.com',
        bearer: 't',
        ...(allow ? { allowInsecureTransport: true } : {}),
      });
    assert.throws(
      () => legacy(),
      (e) => isChatshiftError(e, 'ERR_INSECURE_TRANSPORT'),
    );
    assert.doesNotThrow(() => legacy(true));
    // Messaging picks wss: for non-loopback hosts, so only the explicit opt-in yields ws:.
    assert.doesNotThrow(() => messaging());
    assert.doesNotThrow(() => messaging(true));
  });

  it('chat keys with reserved characters are encoded and followed', async () => {
    const keys = ['a&b=c', 'sp ace', 'pct%25', 'q?x#y', 'plus+1', 'slash/2', 'ünï'];
    const sim = await LegacyChatSimulator.start();
    const events: ConversationEvent[] = [];
    for (const k of keys) sim.openConversation({ id: k });
    for (const k of keys) sim.consumerSays(k, `hi ${k}`);
    const sub = legacyChatSource({
      ...sim.clientOptions(),
      chats: keys,
      pollIntervalMs: 10,
    }).subscribe((e) => events.push(e));
    try {
      await waitFor(
        () =>
          keys.every((k) =>
            events.some((e) => e.conversationId === k && e.type === 'message' && e.text === `hi ${k}`),
          ),
        'every key',
      );
      for (const r of sim.multiChatRequests()) assert.deepEqual([...r.keys].sort(), [...keys].sort());
    } finally {
      sub.unsubscribe();
      await sim.close();
    }
  });
});
