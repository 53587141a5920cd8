/**
 * A problem with the user's input (a file, a line, an option, a broker address). The CLI prints its
 * one-line message and exits 1; `where` names the place (file:line, topic/partition/offset).
 */
export class InputError extends Error {
  readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
