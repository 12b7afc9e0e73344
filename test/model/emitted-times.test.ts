import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mapSequencedEvent } from '../../adapters/messaging/mapping.js';
import { decodeWireEvent, EventRecordCodec, type EventRecord } from '../../adapters/messaging/wire.js';
import { ConversationEventCodec } from '../../src/model/event.js';

// Issue #15: events the library's own codec rejects were emitted (a wire time outside years
// 0000-9999 became `+275760-…`). Times are bounded where they are made (src/model/time.ts); this
// checks the whole mapping path with wire times anywhere in the range JavaScript dates allow.
describe('no emitted event carries a time its own codec rejects (#15)', () => {
  const NOW = 1_700_000_099_000;
  it('messaging: any serverTimestamp maps to a codec-valid event (out of range: the receive time)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }),
          fc.constantFrom(8.64e15, -8.64e15, 253_402_300_800_000, -62_167_219_200_001),
        ),
        (ts) => {
          const decoded = EventRecordCodec.decode({
            dialogId: 'c1',
            sequence: 3,
            originatorId: 'cons-1',
            originatorMetadata: { id: 'cons-1', role: 'CONSUMER' },
            serverTimestamp: ts,
            event: { type: 'ContentEvent', message: 'hi', contentType: 'text/plain' },
          });
          if (decoded._tag === 'Left') return; // refused on the way in: nothing is emitted
          const record: EventRecord = decoded.right;
          const wire = decodeWireEvent(record.event);
          assert.ok(wire.known && wire.result._tag === 'Right');
          const e = mapSequencedEvent('c1', 3, record, wire.result.right, NOW);
          assert.ok(e !== undefined);
          assert.equal(ConversationEventCodec.decode(e)._tag, 'Right', JSON.stringify(e));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
