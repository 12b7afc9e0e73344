import assert from 'node:assert/strict';
import { invalidInputReporter } from '../../src/runtime/invalid-input.js';
import { counterMetrics } from '../../src/runtime/metrics.js';

describe('invalidInputReporter: the one policy point for bad input', () => {
  it('counts items.invalid and warns with the code, the first five errors and the context', () => {
    const metrics = counterMetrics();
    const lines: Array<[string, Record<string, unknown> | undefined]> = [];
    const report = invalidInputReporter({ warn: (m, f) => lines.push([m, f]), error() {} }, metrics);
    report({
      code: 'ERR_SCHEMA_INVALID',
      message: 'legacy-chat: skipped a schema-invalid part of a response',
      errors: ['e1', 'e2', 'e3', 'e4', 'e5', 'e6'],
      fields: { chatSessionKey: 'k' },
    });
    report({ code: 'ERR_MALFORMED_JSON', message: 'messaging: non-JSON frame skipped' });
    assert.deepEqual(metrics.snapshot(), { 'items.invalid': 2 });
    assert.deepEqual(lines, [
      [
        'legacy-chat: skipped a schema-invalid part of a response',
        { code: 'ERR_SCHEMA_INVALID', errors: ['e1', 'e2', 'e3', 'e4', 'e5'], chatSessionKey: 'k' },
      ],
      ['messaging: non-JSON frame skipped', { code: 'ERR_MALFORMED_JSON' }],
    ]);
  });
});
