import { errors } from 'undici';

/** What went wrong with a guarded request; the webhook sender records it as the attempt's error class. */
export type NetErrorKind = 'blocked' | 'dns' | 'connect' | 'timeout' | 'tls' | 'reset' | 'protocol';

/**
 * A guarded request that got no HTTP response. The message names the URL's host (and port), never its
 * path or query string, which may carry a tenant's secret token. The underlying error is the `cause`.
 */
export class NetError extends Error {
  readonly kind: NetErrorKind;
  /** `url.host`: hostname and port. */
  readonly host: string;
  /** The message without the host prefix. */
  readonly detail: string;

  constructor(kind: NetErrorKind, host: string, detail: string, options?: ErrorOptions) {
    super(
      kind === 'blocked' ? `request to ${host} blocked: ${detail}` : `request to ${host} failed: ${detail}`,
      options,
    );
    this.name = 'NetError';
    this.kind = kind;
    this.host = host;
    this.detail = detail;
  }
}

const BY_CODE: Record<string, readonly [NetErrorKind, string]> = {
  UND_ERR_CONNECT_TIMEOUT: ['timeout', 'connect timed out'],
  UND_ERR_HEADERS_TIMEOUT: ['timeout', 'no response headers in time'],
  UND_ERR_BODY_TIMEOUT: ['timeout', 'response body stalled'],
  ETIMEDOUT: ['timeout', 'connect timed out'],
  ENOTFOUND: ['dns', 'host not found'],
  EAI_AGAIN: ['dns', 'DNS lookup failed temporarily'],
  EAI_FAIL: ['dns', 'DNS lookup failed'],
  EAI_NODATA: ['dns', 'host has no addresses'],
  EAI_NONAME: ['dns', 'host not found'],
  ECONNREFUSED: ['connect', 'connection refused'],
  EHOSTUNREACH: ['connect', 'host unreachable'],
  ENETUNREACH: ['connect', 'network unreachable'],
  EHOSTDOWN: ['connect', 'host down'],
  ENETDOWN: ['connect', 'network down'],
  EADDRNOTAVAIL: ['connect', 'address not available'],
  ECONNRESET: ['reset', 'connection reset'],
  ECONNABORTED: ['reset', 'connection aborted'],
  EPIPE: ['reset', 'connection closed while sending'],
  UND_ERR_SOCKET: ['reset', 'connection closed by the server'],
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: ['protocol', 'response shorter or longer than its Content-Length'],
  UND_ERR_HEADERS_OVERFLOW: ['protocol', 'response headers too large'],
  UND_ERR_INFO: ['protocol', 'unexpected response'],
};

/**
 * Maps an error from undici or Node's net/tls/dns to a NetError for `host`. Unknown errors count as
 * `connect`, the class the webhook sender also falls back to.
 */
export function toNetError(error: unknown, host: string): NetError {
  if (error instanceof NetError) return new NetError(error.kind, host, error.detail, { cause: error });
  const code = errorCode(error);
  const known = code === undefined ? undefined : BY_CODE[code];
  if (known) return new NetError(known[0], host, `${known[1]} (${code})`, { cause: error });
  // undici's parser errors carry an HPE_ code only sometimes ("Expected HTTP/" has none).
  if (error instanceof errors.HTTPParserError || (code !== undefined && /^HPE_/.test(code))) {
    return new NetError('protocol', host, `invalid HTTP response${code === undefined ? '' : ` (${code})`}`, {
      cause: error,
    });
  }
  if (code !== undefined && /^ERR_HTTP2_/.test(code)) {
    return new NetError('protocol', host, `HTTP/2 error (${code})`, { cause: error });
  }
  // Node's TLS codes (ERR_TLS_CERT_ALTNAME_INVALID, ERR_SSL_WRONG_VERSION_NUMBER) and OpenSSL's
  // verification codes (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, UNABLE_TO_VERIFY_LEAF_SIGNATURE).
  if (code !== undefined && /TLS|SSL|CERT|UNABLE_TO_/.test(code)) {
    return new NetError('tls', host, `TLS handshake failed (${code})`, { cause: error });
  }
  return new NetError('connect', host, `request failed${code === undefined ? '' : ` (${code})`}`, {
    cause: error,
  });
}

/** The code of an error, or of the first one inside an AggregateError (Node's happy-eyeballs connect). */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return undefined;
}
