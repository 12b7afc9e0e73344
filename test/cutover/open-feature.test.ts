import assert from 'node:assert/strict';
import { InMemoryProvider, OpenFeature } from '@openfeature/server-sdk';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { fromOpenFeature } from '../../src/cutover/open-feature.js';

const config = (variant: string) => ({
  'chatshift-backend': {
    disabled: false,
    defaultVariant: variant,
    variants: { legacy: 'legacy-chat', both: 'both', messaging: 'messaging', broken: 'sms' },
  },
});

describe('fromOpenFeature', () => {
  after(() => OpenFeature.close());

  it('follows provider configuration changes with the in-memory provider, skipping unknown values', async () => {
    const provider = new InMemoryProvider(config('legacy'));
    await OpenFeature.setProviderAndWait('chatshift-test', provider);
    const client = OpenFeature.getClient('chatshift-test');
    const warnings: string[] = [];
    const flag$ = fromOpenFeature(
      client,
      'chatshift-backend',
      { accountId: '123' },
      {
        logger: { warn: (m) => warnings.push(m), error: () => {} },
      },
    );
    const seen = firstValueFrom(flag$.pipe(take(3), toArray()));
    await firstValueFrom(flag$.pipe(filter((v) => v === 'legacy-chat')));
    await new Promise((r) => setTimeout(r, 10));
    provider.putConfiguration(config('both'));
    await new Promise((r) => setTimeout(r, 10));
    provider.putConfiguration(config('broken'));
    await new Promise((r) => setTimeout(r, 10));
    provider.putConfiguration(config('messaging'));
    assert.deepEqual(await seen, ['legacy-chat', 'both', 'messaging']);
    assert.ok(
      warnings.some((w) => w.includes('"sms"')),
      'the unknown value was logged',
    );
  });

  it('falls back to the default when the flag does not exist', async () => {
    await OpenFeature.setProviderAndWait('chatshift-empty', new InMemoryProvider({}));
    const v = await firstValueFrom(
      fromOpenFeature(OpenFeature.getClient('chatshift-empty'), 'missing', {}, { defaultValue: 'messaging' }),
    );
    assert.equal(v, 'messaging');
  });
});
