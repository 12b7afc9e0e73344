import { ChatshiftError } from '../errors.js';

/** True for 127.0.0.0/8, `localhost` and `[::1]`: where the simulators run. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Refuses plain `http:`/`ws:` to anything but loopback unless the caller opted in. `what` names the
 * option in the error; the URL itself is never put in the message (it may carry a bearer).
 */
export function assertSecureTransport(url: URL, allowInsecure: boolean | undefined, what: string): void {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  const plain = url.protocol === 'http:' || url.protocol === 'ws:';
  if (!secure && !plain) {
    throw new ChatshiftError('ERR_INVALID_OPTIONS', `${what}: unsupported protocol ${url.protocol}`);
  }
  if (plain && !isLoopbackHost(url.hostname) && allowInsecure !== true) {
    throw new ChatshiftError(
      'ERR_INSECURE_TRANSPORT',
      `${what}: plain ${url.protocol} to non-loopback host ${url.hostname} is refused; use ${url.protocol === 'http:' ? 'https:' : 'wss:'} or pass allowInsecureTransport: true`,
      { details: { host: url.hostname } },
    );
  }
}
