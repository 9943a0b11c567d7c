/** A secret that could not be read. The message names the reference, never a value. */
export class SecretError extends Error {
  constructor(
    readonly ref: string,
    message: string,
  ) {
    super(`secret ${ref}: ${message}`);
    this.name = 'SecretError';
  }
}
