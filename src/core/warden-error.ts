// The one base of warden's errors: what failed in `message`, a stable `code` a program can test,
// and the error it came from in `cause` (execa's rich error, ES2022's `cause`).

/**
 * An error warden reports: `code` is stable and tells the kind (`NO_DAEMON`, `UNKNOWN_SERVICE`,
 * an errno name such as `EACCES`...), `message` is for people, `cause` the underlying error when
 * there is one. Every error class of the CLI, the library and the control protocol extends it.
 */
export class WardenError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WardenError';
    this.code = code;
  }
}
