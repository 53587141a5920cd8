/** A request the server refuses: the status and a message for the JSON body `{ error }`. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}
