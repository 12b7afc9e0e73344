import assert from 'node:assert/strict';
import { firstValueFrom } from 'rxjs';
import { isChatshiftError, type ErrorCode } from '../../src/index.js';
import { harnesses, type ActionsHarness } from './support.js';

const rejectsWith = async (p: Promise<unknown>, code: ErrorCode): Promise<void> => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isChatshiftError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
};

for (const make of harnesses) {
  describe(`conversationActions over ${make === harnesses[0] ? 'legacy-chat' : 'messaging'}`, function () {
    this.timeout(20_000);
    let h: ActionsHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close();
    });

    it('sends text once and resolves with the backend, conversation, sequence and clientMessageId', async () => {
      const ref = h.open();
      const r = await h.actions.send(ref, { text: 'hello' }, { clientMessageId: 'cm-1' });
      assert.equal(r.backend, h.name);
      assert.equal(r.conversationId, ref.conversationId);
      assert.equal(r.clientMessageId, 'cm-1');
      assert.equal(typeof r.seq, 'number');
      assert.equal(h.sent(ref, 'hello'), 1);
    });

    it('skipIfSent: an answer already in the conversation is not posted again (an event delivered twice)', async () => {
      const ref = h.open();
      const once = { clientMessageId: 're-1', skipIfSent: true };
      const first = await h.actions.send(ref, { text: 'the answer' }, once);
      assert.equal(first.alreadySent, undefined);
      assert.equal(h.sent(ref, 'the answer'), 1);
      // The same answer again, as a handler given the same event again (after a crash, a takeover).
      const again = await h.actions.send(ref, { text: 'the answer' }, once);
      assert.equal(again.alreadySent, true);
      assert.equal(again.seq, first.seq);
      assert.equal(h.sent(ref, 'the answer'), 1, 'posted once');
      // Without the option the same call posts (the default needs no read).
      await h.actions.send(ref, { text: 'the answer' }, { clientMessageId: 're-1' });
      assert.equal(h.sent(ref, 'the answer'), 2);
      await rejectsWith(h.actions.send(ref, { text: 'x' }, { skipIfSent: true }), 'ERR_INVALID_OPTIONS');
      await rejectsWith(
        h.actions.send(ref, { text: 'x' }, { clientMessageId: 'c', skipIfSent: 'yes' as unknown as boolean }),
        'ERR_INVALID_OPTIONS',
      );
      assert.equal(h.sent(ref, 'x'), 0);
    });

    it('generates a clientMessageId when none is given', async () => {
      const ref = h.open();
      const a = await h.actions.send(ref, { text: 'a' });
      const b = await h.actions.send(ref, { text: 'b' });
      assert.ok(a.clientMessageId.length > 0 && a.clientMessageId !== b.clientMessageId);
    });

    it('sends html, rich content with its fallback, and agent-only notes', async () => {
      const ref = h.open();
      await h.actions.send(ref, { text: '<b>bold</b>', format: 'html' });
      await h.actions.send(ref, { rich: { type: 'vertical', elements: [] }, fallbackText: 'a card' });
      await h.actions.send(ref, { text: 'note', audience: 'agents' });
      assert.equal(h.sent(ref, '<b>bold</b>'), 1);
      assert.equal(h.sent(ref, 'note'), 1);
    });

    it('keeps the order of concurrent sends to one conversation', async () => {
      const ref = h.open();
      const texts = Array.from({ length: 15 }, (_, i) => `m${i}`);
      await Promise.all(texts.map((text) => h.actions.send(ref, { text })));
      assert.deepEqual(h.agentTexts(ref), texts);
    });

    it('commit-then-drop (connection lost after the write): found on read-back, posted exactly once', async () => {
      const ref = h.open();
      h.fault('send-drop');
      const r = await h.actions.send(ref, { text: 'once' });
      assert.equal(h.sent(ref, 'once'), 1);
      assert.equal(typeof r.seq, 'number');
    });

    it('commit-then-drop (answer delayed past the timeout): posted exactly once', async () => {
      const ref = h.open();
      h.fault('send-late');
      await h.actions.send(ref, { text: 'late' });
      assert.equal(h.sent(ref, 'late'), 1);
    });

    it('waits out a 429 and sends once', async () => {
      const ref = h.open();
      h.fault('send-429');
      await h.actions.send(ref, { text: 'after the wait' });
      assert.equal(h.sent(ref, 'after the wait'), 1);
    });

    it('types, closes, and refuses a send to the closed conversation with ERR_CONVERSATION_CLOSED', async () => {
      const ref = h.open();
      await h.actions.typing(ref, true);
      await h.actions.typing(ref, false);
      await h.actions.close(ref);
      await rejectsWith(h.actions.send(ref, { text: 'too late' }), 'ERR_CONVERSATION_CLOSED');
    });

    it('transfers to an available skill, refuses an unavailable one with ERR_TRANSFER_TARGET_UNAVAILABLE', async () => {
      const a = h.open();
      await rejectsWith(
        h.actions.transfer(a, { skillId: h.unavailableSkill }),
        'ERR_TRANSFER_TARGET_UNAVAILABLE',
      );
      await h.actions.transfer(a, { skillId: h.availableSkill });
    });

    it('refuses an unknown conversation with ERR_UNKNOWN_CONVERSATION', async () => {
      await rejectsWith(
        h.actions.send({ backend: h.name, conversationId: 'no-such-conversation' }, { text: 'x' }),
        'ERR_UNKNOWN_CONVERSATION',
      );
    });

    it('refuses a ref of a backend it was not given with ERR_BACKEND_UNAVAILABLE, and bad input with ERR_INVALID_OPTIONS', async () => {
      const other = h.name === 'messaging' ? 'legacy-chat' : 'messaging';
      await rejectsWith(
        h.actions.send({ backend: other, conversationId: 'c' }, { text: 'x' }),
        'ERR_BACKEND_UNAVAILABLE',
      );
      const ref = h.open();
      await rejectsWith(h.actions.send(ref, { text: '' }), 'ERR_INVALID_OPTIONS');
      await rejectsWith(h.actions.send(ref, { rich: {}, fallbackText: '' }), 'ERR_INVALID_OPTIONS');
      await rejectsWith(h.actions.transfer(ref, {} as never), 'ERR_INVALID_OPTIONS');
      await rejectsWith(h.actions.setAvailability('busy' as never), 'ERR_INVALID_OPTIONS');
    });

    it('sets availability and marks messages read (legacy: a documented no-op)', async () => {
      const ref = h.open();
      const seq = h.consumerSays(ref, 'hi');
      await h.actions.setAvailability('away');
      await h.actions.markRead(ref, [seq]);
    });

    it('offers a waiting conversation with an expiry and accepts it; a second accept of it is ERR_OFFER_GONE', async () => {
      const ref = h.open({ waiting: true });
      h.consumerSays(ref, 'anyone there?');
      const offer = await firstValueFrom(h.actions.offers$);
      assert.equal(offer.backend, h.name);
      assert.ok(Date.parse(offer.expiresAt) > Date.now());
      const taken = await h.actions.accept(offer);
      assert.equal(taken.conversationId, ref.conversationId);
      if (h.name === 'legacy-chat') await rejectsWith(h.actions.accept(offer), 'ERR_OFFER_GONE');
      await rejectsWith(
        h.actions.accept({ ...offer, expiresAt: new Date(0).toISOString() }),
        'ERR_OFFER_GONE',
      );
    });
  });
}
