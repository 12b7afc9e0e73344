import assert from 'node:assert/strict';
import { firstValueFrom } from 'rxjs';
import { loginSession, LoginSimulator } from '../../adapters/login/index.js';
import { messaging, MessagingSimulator } from '../../adapters/messaging/index.js';
import { conversationActions, isChatshiftError } from '../../src/index.js';
import { waitFor } from '../support/wait.js';

/** A login simulator and a messaging simulator (frames logged) as one account `1234`, agent `77`. */
async function startOneAccount(): Promise<{
  login: LoginSimulator;
  messaging: MessagingSimulator;
  close(): Promise<void>;
}> {
  const login = await LoginSimulator.start({ accountId: '1234', userId: '77' });
  const msg = await MessagingSimulator.start({ accountId: '1234', agentUserId: '77' });
  login.bundle({ messaging: msg });
  return {
    login,
    messaging: msg,
    close: async () => {
      await login.close();
      await msg.close();
    },
  };
}

// Transfer, availability and rings name the agent (`account.user`): from the agentId option, else
// from the session — never an empty id on the wire.
describe('conversationActions over messaging: the agent id', function () {
  this.timeout(20_000);

  it('comes from the session when no agentId is given', async () => {
    const acct = await startOneAccount();
    const session = loginSession({ ...acct.login.clientOptions(), backoff: { initialMs: 10, maxMs: 50 } });
    const msg = messaging({ session, requestTimeoutMs: 400, backoff: { initialMs: 20, maxMs: 100 } });
    const actions = conversationActions({ messaging: msg });
    const sub = actions.offers$.subscribe();
    try {
      const conv = acct.messaging.openConversation();
      await actions.transfer({ backend: 'messaging', conversationId: conv }, { skillId: '10' });
      await actions.setAvailability('away');
      await waitFor(
        () => acct.messaging.requests('.ams.routing.SubscribeRoutingTasks').length === 1,
        'the routing subscription',
      );
      const removed = (
        acct.messaging.requests('.ams.cm.UpdateConversationField')[0]?.body['conversationField'] as Array<
          Record<string, unknown>
        >
      ).find((f) => f['type'] === 'REMOVE');
      assert.equal(removed?.['userId'], '1234.77');
      assert.equal(acct.messaging.requests('.ams.routing.SetAgentState')[0]?.body['agentUserId'], '1234.77');
      assert.equal(
        acct.messaging.requests('.ams.routing.SubscribeRoutingTasks')[0]?.body['agentId'],
        '1234.77',
      );
      assert.deepEqual(acct.messaging.transfers, [{ conversationId: conv, skillId: '10' }]);
      assert.equal(acct.messaging.agentState, 'AWAY');
    } finally {
      sub.unsubscribe();
      await actions.dispose();
      await session.close();
      await acct.close();
    }
  });

  it('fails transfer, availability and offers$ with a coded error when it cannot be known', async () => {
    const sim = await MessagingSimulator.start();
    const actions = conversationActions({
      messaging: messaging({ ...sim.clientOptions(), requestTimeoutMs: 400 }),
    });
    const acct = await startOneAccount();
    const session = loginSession({ ...acct.login.clientOptions(), backoff: { initialMs: 10, maxMs: 50 } });
    const closed = conversationActions({ messaging: messaging({ session, requestTimeoutMs: 400 }) });
    try {
      const conv = sim.openConversation();
      const invalid = (e: unknown) =>
        isChatshiftError(e, 'ERR_INVALID_OPTIONS') && e.details['option'] === 'agentId';
      await assert.rejects(
        actions.transfer({ backend: 'messaging', conversationId: conv }, { skillId: '10' }),
        invalid,
      );
      await assert.rejects(actions.setAvailability('online'), invalid);
      await assert.rejects(firstValueFrom(actions.offers$), invalid);
      // Actions that name no agent still work.
      await actions.send({ backend: 'messaging', conversationId: conv }, { text: 'still fine' });
      assert.equal(sim.requests('.ams.cm.UpdateConversationField').length, 0);
      assert.equal(sim.requests('.ams.routing.SetAgentState').length, 0);
      assert.equal(sim.requests('.ams.routing.SubscribeRoutingTasks').length, 0);
      // A session that cannot say (closed): its own code.
      await session.close();
      const sessionClosed = (e: unknown) => isChatshiftError(e, 'ERR_SESSION_CLOSED');
      await assert.rejects(
        closed.transfer({ backend: 'messaging', conversationId: 'c1' }, { skillId: '10' }),
        sessionClosed,
      );
      await assert.rejects(closed.setAvailability('online'), sessionClosed);
      await assert.rejects(firstValueFrom(closed.offers$), sessionClosed);
      assert.equal(acct.messaging.requests().length, 0, 'nothing reached the wire');
    } finally {
      await actions.dispose();
      await closed.dispose();
      await session.close();
      await acct.close();
      await sim.close();
    }
  });
});
