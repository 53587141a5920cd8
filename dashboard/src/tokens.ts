import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from '@cotrans/core';

/** Who may write reviews: each token stands for one reviewer, whose name is stored with a verdict. */
export interface WriteToken {
  reviewer: string;
  token: string;
}

/** Shorter tokens are refused: a guessable token is no credential. */
export const MIN_TOKEN_LENGTH = 16;
/** The reviewer of a bare token (a line or variable without `name:`). */
export const DEFAULT_REVIEWER = 'reviewer';
const REVIEWER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

/**
 * Parses token lines: `name:token` per reviewer, or one bare token; blank lines and `#` comments are
 * skipped. `where` names the source (file or variable) in errors, with the line.
 */
export function parseTokens(text: string, where: string): WriteToken[] {
  const out: WriteToken[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const at = `${where}:${i + 1}`;
    const colon = line.indexOf(':');
    const reviewer = colon >= 0 ? line.slice(0, colon).trim() : DEFAULT_REVIEWER;
    const token = colon >= 0 ? line.slice(colon + 1).trim() : line;
    if (!REVIEWER_NAME.test(reviewer)) throw new UserError(`${at}: reviewer name '${reviewer.slice(0, 64)}' must be 1-64 of A-Z a-z 0-9 . _ @ -`);
    if (token.length < MIN_TOKEN_LENGTH) throw new UserError(`${at}: token for '${reviewer}' is shorter than ${MIN_TOKEN_LENGTH} characters`);
    if (/\s/.test(token)) throw new UserError(`${at}: token for '${reviewer}' contains white space`);
    if (out.some((t) => t.reviewer === reviewer)) throw new UserError(`${at}: reviewer '${reviewer}' has two tokens`);
    if (out.some((t) => t.token === token)) throw new UserError(`${at}: token for '${reviewer}' is also another reviewer's`);
    out.push({ reviewer, token });
  }
  return out;
}

/** Tokens from `--token-file` and/or `COTRANS_DASHBOARD_TOKEN`; none means a read-only server. */
export function loadTokens(opts: { file?: string; env?: string }): WriteToken[] {
  const out: WriteToken[] = [];
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, 'utf8');
    } catch (e) {
      throw new UserError(`--token-file ${opts.file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
    }
    const tokens = parseTokens(text, opts.file);
    if (!tokens.length) throw new UserError(`--token-file ${opts.file}: no token in the file`);
    out.push(...tokens);
  }
  if (opts.env) out.push(...parseTokens(opts.env, 'COTRANS_DASHBOARD_TOKEN'));
  const names = new Set(out.map((t) => t.reviewer));
  if (names.size !== out.length) throw new UserError('COTRANS_DASHBOARD_TOKEN: names a reviewer that --token-file names too');
  return out;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Finds the reviewer of a presented token, comparing digests in constant time. */
export function makeAuthenticator(tokens: readonly WriteToken[]): (presented: string | undefined) => string | null {
  const known = tokens.map((t) => ({ reviewer: t.reviewer, digest: digest(t.token) }));
  return (presented) => {
    if (!presented) return null;
    const d = digest(presented);
    let found: string | null = null;
    for (const k of known) if (timingSafeEqual(k.digest, d)) found = k.reviewer;
    return found;
  };
}
