// The server's defences against other sites, as pure checks over a request's headers
// (OWASP CSRF Prevention Cheat Sheet; DNS rebinding): each returns why it refuses, or null.
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './errors.js';

/** Sent with every response: nothing may be framed, sniffed, inlined or loaded from elsewhere. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

/** The header the page sends with every write; a cross-site form cannot send it, and a cross-site fetch can only after a CORS preflight this server never grants. */
export const WRITE_HEADER = 'x-cotrans-review';

/** Host names a browser may use to reach a loopback server; others are added by allowHosts. */
export const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;

/** The host name of a Host header or URL authority, lower-cased, without the port. */
export function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  const colon = a.indexOf(':');
  return colon >= 0 ? a.slice(0, colon) : a;
}

/**
 * The Host header must name this server (DNS rebinding: a page on evil.example whose name now
 * resolves to 127.0.0.1 sends `Host: evil.example`).
 */
export function checkHost(headers: IncomingHttpHeaders, allowed: ReadonlySet<string>): void {
  const host = headers.host;
  if (!host) throw new HttpError(400, 'request has no Host header');
  if (!allowed.has(hostName(host))) throw new HttpError(403, `host '${hostName(host).slice(0, 100)}' is not one this dashboard serves (see --allow-host)`);
}

/**
 * A write must be same-origin JSON sent by the page's own script: an Origin (when the browser sends
 * one) equal to this server's, no cross-site Sec-Fetch-Site, the custom header, and a JSON body.
 * A cross-site form or no-cors fetch fails on several of these at once.
 */
export function checkWrite(headers: IncomingHttpHeaders): void {
  const origin = headers.origin;
  if (origin !== undefined && origin !== `http://${headers.host}`) throw new HttpError(403, `cross-origin write refused (Origin ${origin.slice(0, 100)})`);
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw new HttpError(403, `cross-site write refused (Sec-Fetch-Site ${site})`);
  const type = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, `write needs content-type application/json, got '${type.slice(0, 100)}'`);
  if (headers[WRITE_HEADER] !== '1') throw new HttpError(403, `write needs the header ${WRITE_HEADER}: 1`);
}

/** The token of `Authorization: Bearer <token>`. */
export function bearer(headers: IncomingHttpHeaders): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
  return m ? m[1] : undefined;
}

/** decodeURIComponent that answers 400 to a malformed escape instead of throwing a URIError. */
export function decodePathPart(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new HttpError(400, 'malformed percent-escape in the URL');
  }
}
