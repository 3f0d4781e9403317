// Failures the CLI reports to its user: what went wrong and how to fix it. Anything else that
// reaches the top level is a bug, shown with its stack only when FERRITE_DEBUG=1.
import { FerriteError } from "../../runtime-sim/index.js";
import type { CliErrorCode } from "../../runtime-sim/host.js";

export type { CliErrorCode };

export class CliError extends FerriteError<CliErrorCode> {
  /** One sentence telling the user what to do about it. */
  readonly fix: string | null;
  /** Extra lines shown under the message (compiler diagnostics, ...). */
  readonly details: string[];

  constructor(code: CliErrorCode, message: string, fix: string | null = null, details: string[] = []) {
    super(code, message);
    this.name = `CliError [${code}]`;
    this.fix = fix;
    this.details = details;
  }
}

/** The exit status for a failure that was already printed in full (a failed build, failed tests). */
export class Reported extends FerriteError<"ERR_REPORTED"> {
  constructor(exitCode = 1) {
    super("ERR_REPORTED", "already reported", null, { exit_code: exitCode });
    this.name = "Reported [ERR_REPORTED]";
  }

  get exitCode(): number {
    return this.data.exit_code;
  }
}
