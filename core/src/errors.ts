// The one error type for a mistake in what the user gave: a file, a line of it, a Kafka message, a
// field, an option. The CLI prints its message on one line and exits 1; anything else is a bug of
// ours (exit 2). `where` keeps the place as data for callers that want more than the text.

/** The place a user error points at; the message names it too. */
export interface Where {
  file?: string;
  line?: number;
  topic?: string;
  partition?: number;
  offset?: string;
  field?: string;
  option?: string;
}

export class UserError extends Error {
  readonly exitCode = 1;
  readonly where: Where;
  constructor(message: string, where: Where = {}) {
    super(message);
    this.name = 'UserError';
    this.where = where;
  }

  /** "file:line: reason", "topic/partition@offset: reason", "--option: reason", ... */
  static at(where: Where, reason: string): UserError {
    const place = placeOf(where);
    return new UserError(place ? `${place}: ${reason}` : reason, where);
  }
}

/** The place as text: file[:line], topic[/partition][@offset], --option, field; joined by spaces. */
export function placeOf(w: Where): string {
  const parts: string[] = [];
  if (w.file !== undefined) parts.push(w.line !== undefined ? `${w.file}:${w.line}` : w.file);
  if (w.topic !== undefined) parts.push(`${w.topic}${w.partition !== undefined ? `/${w.partition}` : ''}${w.offset !== undefined ? `@${w.offset}` : ''}`);
  if (w.option !== undefined) parts.push(`--${w.option}`);
  if (w.field !== undefined) parts.push(`field ${w.field}`);
  return parts.join(' ');
}

/**
 * True for a user error: a UserError, or an error that marks itself with `exitCode: 1` (the
 * simulator's option errors and a few learning-stage checks still do).
 */
export function isUserError(err: unknown): err is Error & { exitCode: 1 } {
  return err instanceof UserError || (err instanceof Error && (err as { exitCode?: unknown }).exitCode === 1);
}
