/**
 * `chatshift/login`: a LivePerson agent login as a `Session` (CSDS discovery, login, refresh,
 * re-login, logout) and its loopback simulator. See docs/sessions.md.
 */

/** {@inheritDoc loginSession} */
export { loginSession } from './session.js';
/** The session `loginSession()` returns. */
export type { LoginSession } from './session.js';
/** Options of `loginSession`, documented field by field, and the credential shapes. */
export type {
  AppKeyCredentials,
  ExistingBearer,
  LoginSessionCommonOptions,
  LoginSessionOptions,
  PasswordCredentials,
} from './options.js';
/** The loopback CSDS and Login Service, for tests and demos. */
export { LoginSimulator } from './simulator.js';
/** Simulator options and the options it hands a client. */
export type { LoginClientOptions, LoginSimulatorOptions } from './simulator.js';
/** The simulator's switches and one-shot faults. */
export type { LoginSimulatorFault, LoginSimulatorSwitches } from './simulator-switches.js';
/** A request the simulator received. */
export type { LoginRequestRecord } from './simulator-login.js';
