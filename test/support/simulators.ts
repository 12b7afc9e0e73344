import { LegacyChatSimulator } from '../../adapters/legacy-chat/index.js';
import { MessagingSimulator } from '../../adapters/messaging/index.js';

/** Both simulators, started once for the enclosing mocha `describe` block. */
export interface BothSimulators {
  readonly legacy: LegacyChatSimulator;
  readonly messaging: MessagingSimulator;
}

/**
 * Registers `before`/`after` hooks in the calling `describe` block that start both simulators
 * (messaging without its frame log) and close them; the returned object holds them while the
 * block's tests run.
 */
export function bothSimulatorsPerSuite(): BothSimulators {
  const sims: { legacy?: LegacyChatSimulator; messaging?: MessagingSimulator } = {};
  before(async () => {
    sims.legacy = await LegacyChatSimulator.start();
    sims.messaging = await MessagingSimulator.start({ frameLog: false });
  });
  after(async () => {
    await sims.legacy?.close();
    await sims.messaging?.close();
  });
  return {
    get legacy() {
      if (sims.legacy === undefined) throw new Error('the simulators start in a before() hook');
      return sims.legacy;
    },
    get messaging() {
      if (sims.messaging === undefined) throw new Error('the simulators start in a before() hook');
      return sims.messaging;
    },
  };
}
