// JSON files the user hands over (city.json, model manifests): unreadable, malformed, or not an
// object is a UserError naming the file (and the line of a syntax error), never a SyntaxError.
import { readFile } from 'node:fs/promises';
import { UserError } from './errors.js';
import { excerpt } from './text.js';

/** The line of character `pos` in `text` (from 1). */
const lineAt = (text: string, pos: number): number => {
  let n = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

/**
 * Why JSON.parse refused a text, without the text: V8 quotes the input around the error
 * ('Unexpected token ... "abc" is not valid JSON'), which may be huge or binary.
 */
export function jsonErrorReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return excerpt(msg.replace(/, "[\s\S]*" is not valid JSON$/, '').replace(/ in JSON at position \d+[\s\S]*$/, ''), 80);
}

/** The JSON value of `text`, read from `file` (for the message). */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const line = pos ? lineAt(text, Number(pos[1])) : undefined;
    throw UserError.at({ file, line }, `malformed JSON (${jsonErrorReason(err)})`);
  }
}

/** A JSON object read from a file; `what` names it in the messages ("model manifest"). */
export async function readJsonObject(file: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw UserError.at({ file }, `cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const v = parseJsonText(text, file);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw UserError.at({ file }, `the ${what} must be a JSON object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  return v as Record<string, unknown>;
}
