import { ChatshiftError } from '../errors.js';
import { loginSession, type LoginSession } from '../../adapters/login/index.js';
import type { Logger } from '../runtime/logger.js';

/** The `tail` flags that name credentials: a username on the command line, every secret in an environment variable. */
export const credentialFlags = {
  username: { type: 'string' },
  'password-env': { type: 'string' },
  'app-key-env': { type: 'string' },
  'secret-env': { type: 'string' },
  'access-token-env': { type: 'string' },
  'access-token-secret-env': { type: 'string' },
  'csds-domain': { type: 'string' },
} as const;

export const credentialHelp = `  --username U            log in as U (with --account): the CLI finds the hosts through CSDS,
                          logs in, refreshes, creates the legacy agent session and renews both
  --password-env NAME     environment variable holding U's password
  --app-key-env NAME      with --secret-env, --access-token-env, --access-token-secret-env:
                          environment variables holding an application's keys (instead of a password)
  --csds-domain HOST      the CSDS host (default adminlogin.liveperson.net)
`;

type Values = Partial<Record<keyof typeof credentialFlags, string | undefined>> & {
  account?: string | undefined;
};

/**
 * A login session from the credential flags, or `undefined` when `--username` is not given.
 * Secrets are read from the named environment variables only (never argv), and checked now.
 */
export function sessionFromFlags(
  values: Values,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): LoginSession | undefined {
  const username = values.username;
  if (username === undefined) return undefined;
  const usage = (m: string) => new ChatshiftError('ERR_USAGE', m);
  const accountId = values.account;
  if (accountId === undefined) throw usage('--account ID is required with --username');
  const secret = (flag: keyof typeof credentialFlags): string => {
    const name = values[flag];
    if (name === undefined) throw usage(`--${flag} NAME is required`);
    const v = env[name];
    if (v === undefined || v === '')
      throw usage(`environment variable ${name} (--${flag}) is empty or not set`);
    return v;
  };
  const common = {
    accountId,
    logger,
    ...(values['csds-domain'] === undefined ? {} : { csdsDomain: values['csds-domain'] }),
  };
  if (values['password-env'] !== undefined) {
    return loginSession({ ...common, username, password: secret('password-env') });
  }
  if (values['app-key-env'] === undefined)
    throw usage(
      '--password-env NAME or --app-key-env NAME (with the other key variables) is required with --username',
    );
  return loginSession({
    ...common,
    username,
    appKey: secret('app-key-env'),
    secret: secret('secret-env'),
    accessToken: secret('access-token-env'),
    accessTokenSecret: secret('access-token-secret-env'),
  });
}
