import type { HttpLimits } from '../config.js';

/**
 * The server options every listener shares. A request that reaches an open connection while the
 * server closes is served, not refused with the framework's own 503 body: close() waits for it,
 * and the store is still open. A client that sends its request slowly (a byte every few seconds)
 * must not hold a connection for ever: the whole request within requestTimeout, its headers within
 * headersTimeout (both answered 408 and closed), idle kept-alive connections closed after
 * keepAliveTimeout. Node checks the first two every connectionsCheckingInterval.
 */
export function serverLimits(limits: HttpLimits) {
  return {
    return503OnClosing: false,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      requestTimeout: limits.requestTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  };
}
