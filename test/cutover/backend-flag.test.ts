import assert from 'node:assert/strict';
import { firstValueFrom, of, take, toArray } from 'rxjs';
import { backendFlag$, type BackendChoice } from '../../src/cutover/backend-flag.js';

describe('backendFlag$', () => {
  const logger = () => {
    const warnings: string[] = [];
    return { warnings, warn: (m: string) => warnings.push(m), error: () => {} };
  };

  it('passes a value and an Observable through', async () => {
    const log = logger();
    assert.deepEqual(
      await firstValueFrom(backendFlag$('both', { everyMs: 10, logger: log }).pipe(toArray())),
      ['both'],
    );
    const flag = of<BackendChoice[]>('legacy-chat', 'messaging');
    assert.equal(backendFlag$(flag, { everyMs: 10, logger: log }), flag);
  });

  it('re-evaluates a function on the interval, emits only changes, and survives a throwing evaluation', async () => {
    const log = logger();
    const answers: Array<string | Error> = [
      'legacy-chat',
      'legacy-chat',
      new Error('flag service down'),
      'both',
      'both',
      'messaging',
    ];
    let calls = 0;
    const fn = () => {
      const a = answers[Math.min(calls++, answers.length - 1)];
      if (a instanceof Error) throw a;
      return Promise.resolve(a as 'legacy-chat');
    };
    const seen = await firstValueFrom(backendFlag$(fn, { everyMs: 5, logger: log }).pipe(take(3), toArray()));
    assert.deepEqual(seen, ['legacy-chat', 'both', 'messaging']);
    assert.ok(calls >= 6);
    assert.ok(log.warnings.some((w) => w.includes('keeping the current backend')));
  });
});
