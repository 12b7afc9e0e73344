import assert from 'node:assert/strict';
import { from, lastValueFrom, toArray } from 'rxjs';
import { ChatshiftError, isChatshiftError } from '../../src/errors.js';
import { flowControl } from '../../src/runtime/flow.js';
import type { Metrics } from '../../src/runtime/metrics.js';
import { recordingMetrics } from '../support/metrics.js';

const event = (n: number, backend: string) => ({ id: `${backend}:c:${n}`, backend, conversationId: 'c' });

describe('flowControl metrics', () => {
  it('records how long the handler took per event, labelled with its backend', async () => {
    const m = recordingMetrics();
    const flow = flowControl({ metrics: m });
    const input = [event(1, 'messaging'), event(2, 'legacy-chat'), event(3, 'messaging')];
    await lastValueFrom(
      from(input).pipe(
        flow.process(async () => {}),
        toArray(),
      ),
    );
    const calls = m.of('process.duration');
    assert.deepEqual(
      calls.map((c) => c.attributes),
      [
        { 'chatshift.backend': 'messaging' },
        { 'chatshift.backend': 'legacy-chat' },
        { 'chatshift.backend': 'messaging' },
      ],
    );
    assert.ok(calls.every((c) => c.kind === 'histogram' && c.value >= 0 && c.value < 60));
  });

  it('labels a failed handler with its error type', async () => {
    const m = recordingMetrics();
    const flow = flowControl({ metrics: m });
    await assert.rejects(
      lastValueFrom(
        from([event(1, 'messaging')]).pipe(
          flow.process(() => {
            throw new ChatshiftError('ERR_TIMEOUT', 'the database did not answer');
          }),
        ),
      ),
    );
    assert.deepEqual(m.of('process.duration')[0]?.attributes, {
      'chatshift.backend': 'messaging',
      'error.type': 'ERR_TIMEOUT',
    });
  });

  it('refuses a metrics option that is not a sink', () => {
    assert.throws(
      () => flowControl({ metrics: {} as Metrics }),
      (e) => isChatshiftError(e, 'ERR_INVALID_OPTIONS'),
    );
  });
});
