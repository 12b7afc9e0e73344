import assert from 'node:assert/strict';
import { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { MessagingSimulator } from '../../adapters/messaging/index.js';
import { describe as describeEvent } from '../../src/cli/view.js';
import { Workload } from '../../src/cli/workload.js';
import type { ConversationEvent } from '../../src/model/event.js';
import { runCliUntil } from '../support/cli.js';
import { startOneAccount, type OneAccount } from '../support/account.js';

/** The event lines of a readable run (time first), without the header, notes and summary. */
const eventLines = (stdout: string): string[] =>
  stdout.split('\n').filter((l) => /^\d\d:\d\d:\d\d\.\d{3} /.test(l));

describe('CLI: agents shown by name on both backends', function () {
  this.timeout(120_000);

  it('a line shows the name when the event has one, else the role', () => {
    const base = {
      backend: 'messaging',
      conversationId: 'conv-1',
      time: '2026-11-30T08:00:00.000Z',
      id: 'x',
    } as const;
    const named: ConversationEvent = {
      ...base,
      type: 'message',
      seq: 1,
      from: { role: 'agent', id: '123.77', name: 'Agent Mia' },
      text: 'hi',
      format: 'plain',
    };
    assert.match(describeEvent(named, 200), / Agent Mia: hi$/);
    assert.match(describeEvent({ ...named, from: { role: 'agent', id: '123.77' } }, 200), / agent: hi$/);
    const receipt: ConversationEvent = {
      ...base,
      type: 'receipt',
      status: 'read',
      seqs: [1],
      participant: { role: 'agent', id: '123.77', name: 'Agent Mia' },
    };
    assert.match(describeEvent(receipt, 200), / Agent Mia read #1$/);
  });

  describe('tail --backend both', () => {
    let acct: OneAccount;
    before(async () => {
      acct = await startOneAccount();
    });
    after(async () => acct.close());

    it('names the legacy agent (from the chat) and the messaging agent (from its profile)', async () => {
      const legacyKey = acct.legacy.openConversation({ waiting: true });
      acct.legacy.consumerSays(legacyKey, 'legacy hello');
      const conv = acct.messaging.openConversation();
      acct.messaging.consumerSays(conv, 'messaging hello');
      acct.messaging.agentSays(conv, 'messaging answer');
      // The legacy agent speaks once the chat was accepted (its first poll sees it ringing).
      const accepted = setInterval(() => {
        const chat = acct.legacy.chat(legacyKey);
        if (!chat.ringing && !chat.events.some((e) => e.text === 'legacy answer')) {
          acct.legacy.agentSays(legacyKey, 'legacy answer');
          clearInterval(accepted);
        }
      }, 50);
      const { password, username, csdsDomain, accountId } = acct.login.clientOptions();
      try {
        const r = await runCliUntil(
          [
            'tail',
            '--backend',
            'both',
            '--accept-incoming',
            '--types',
            'message',
            '--account',
            accountId,
            '--username',
            username,
            '--password-env',
            'LP_PASSWORD',
            '--csds-domain',
            csdsDomain,
          ],
          { LP_PASSWORD: password, NO_COLOR: '1' },
          /legacy answer[\s\S]*messaging answer|messaging answer[\s\S]*legacy answer/,
        );
        assert.equal(r.code, 0, r.stderr);
        const lines = eventLines(r.stdout);
        assert.ok(
          lines.some((l) => /messaging +\S+ +Agent Mia: messaging answer$/.test(l)),
          lines.join('\n'),
        );
        assert.ok(
          lines.some((l) => /legacy-chat +\S+ +Agent Nick: legacy answer$/.test(l)),
          lines.join('\n'),
        );
        assert.ok(!r.stdout.includes('\x1b['), 'no colour under NO_COLOR');
      } finally {
        clearInterval(accepted);
      }
    });
  });

  it("the demo's script plays no agent line in a legacy chat nobody accepted (it would be nameless)", async () => {
    const legacy = await LegacyChatSimulator.start();
    const msg = await MessagingSimulator.start();
    try {
      const w = new Workload(legacy, msg, 5);
      const ringing = w.open('legacy-chat');
      while (w.advance(ringing));
      assert.ok(legacy.chat(ringing.id).ringing && legacy.chat(ringing.id).state === 'ended');
      assert.deepEqual(legacy.agentLines(ringing.id), []);
      assert.ok(
        legacy.chat(ringing.id).events.some((e) => e.source === 'visitor'),
        'the consumer still speaks while it rings',
      );
    } finally {
      await Promise.all([legacy.close(), msg.close()]);
    }
  });

  it('the demo shows agents by name on both backends', async () => {
    const r = await runCliUntil(
      ['--duration-s', '3', '--conversations', '10', '--seed', '11', '--types', 'message'],
      { NO_COLOR: '1' },
    );
    assert.equal(r.code, 0, r.stderr);
    const lines = eventLines(r.stdout);
    const agentLines = (backend: string) =>
      lines.filter((l) => l.slice(13, 24).trim() === backend && !/ (consumer|system): /.test(l));
    const legacy = agentLines('legacy-chat');
    const msg = agentLines('messaging');
    assert.ok(legacy.length > 0 && msg.length > 0, lines.join('\n'));
    for (const l of legacy) assert.match(l, / (Agent Nick|Natalie|Sam|Priya): /);
    // Messaging conversations are the demo agent's own (its bot answers them): named from its
    // profile, asked when the socket opens. A name is never waited for, so a line read together with
    // the profile's answer may still say `agent`; no line names anyone else.
    for (const l of msg) assert.match(l, / (Agent Mia|agent): /);
    assert.ok(
      msg.some((l) => / Agent Mia: /.test(l)),
      msg.join('\n'),
    );
  });
});
