import { LoginSimulator, type LoginSimulatorOptions } from '../../adapters/login/index.js';
import { LegacyChatSimulator, type LegacyChatSimulatorOptions } from '../../adapters/legacy-chat/index.js';
import { MessagingSimulator } from '../../adapters/messaging/index.js';

/** The three simulators as one LivePerson account (LoginSimulator.bundle). */
export interface OneAccount {
  login: LoginSimulator;
  legacy: LegacyChatSimulator;
  messaging: MessagingSimulator;
  close(): Promise<void>;
}

/** Starts the login, legacy and messaging simulators as one account `1234`, agent user `77`. */
export async function startOneAccount(
  opts: { login?: LoginSimulatorOptions; legacy?: LegacyChatSimulatorOptions } = {},
): Promise<OneAccount> {
  const login = await LoginSimulator.start({ accountId: '1234', userId: '77', ...opts.login });
  const legacy = await LegacyChatSimulator.start({ accountId: '1234', ...opts.legacy });
  const messaging = await MessagingSimulator.start({ accountId: '1234', agentUserId: '77', frameLog: false });
  login.bundle({ legacy, messaging });
  return {
    login,
    legacy,
    messaging,
    async close() {
      await login.close();
      await legacy.close();
      await messaging.close();
    },
  };
}
