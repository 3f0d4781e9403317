// Failures the CLI reports to its user: what went wrong and how to fix it. Anything else that
// reaches the top level is a bug, shown with its stack only when FERRITE_DEBUG=1.

export type CliErrorCode =
  | "ERR_MANIFEST"
  | "ERR_NO_MANIFEST"
  | "ERR_USAGE"
  | "ERR_FILE"
  | "ERR_COMPILE"
  | "ERR_ABI"
  | "ERR_CAPABILITY"
  | "ERR_CALL"
  | "ERR_TEMPLATE"
  | "ERR_TARGET_EXISTS"
  | "ERR_TESTS"
  | "ERR_TOOLKIT"
  | "ERR_CONNECT"
  | "ERR_AUTH"
  | "ERR_NO_FUNCTIONS"
  | "ERR_REMOTE"
  | "ERR_VERIFY"
  | "ERR_SERVER";

export class CliError extends Error {
  readonly code: CliErrorCode;
  /** One sentence telling the user what to do about it. */
  readonly fix: string | null;
  /** Extra lines shown under the message (compiler diagnostics, ...). */
  readonly details: string[];

  constructor(code: CliErrorCode, message: string, fix: string | null = null, details: string[] = []) {
    super(message);
    this.name = `CliError [${code}]`;
    this.code = code;
    this.fix = fix;
    this.details = details;
  }
}

/** The exit status for a failure that was already printed in full (a failed build, failed tests). */
export class Reported extends Error {
  constructor(readonly exitCode = 1) {
    super("already reported");
  }
}
