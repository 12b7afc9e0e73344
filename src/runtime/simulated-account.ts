import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * How the loopback simulators act as ONE LivePerson account: the login simulator is the authority
 * on tokens (it issues, expires and revokes them) and serves the Login Service; the legacy and
 * messaging simulators accept only the tokens it says are valid, and hear when one is revoked.
 * `LoginSimulator.bundle()` wires them; this core interface keeps the adapters apart.
 */
export interface AccountAuthority {
  readonly accountId: string;
  /** Whether `token` is a currently valid bearer of this account. */
  accepts(token: string): boolean;
  /** Serves a Login Service request (`/login`, `/refresh`, `/logout`) if it is one; true when it did. */
  serveLogin(req: IncomingMessage, res: ServerResponse): boolean;
  /** Calls `listener` whenever a token stops being valid (expiry, re-login, logout); returns an unsubscribe. */
  onRevoked(listener: (token: string) => void): () => void;
}

/** A simulator that can join an account: it answers with the CSDS services it serves (`{ agentVep: host }`). */
export interface AccountMember {
  joinAccount(authority: AccountAuthority): Record<string, string>;
}
