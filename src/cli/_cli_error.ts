/**
 * The errors the CLI reports as one line and an exit code, never a stack trace.
 *
 * @module
 */

import { causeChain, messageOf as messageOfError } from "../_errors.ts";

/** Exit code for a runtime failure. */
export const EXIT_FAILURE = 1;
/** Exit code for a usage error (bad arguments). */
export const EXIT_USAGE = 2;
/**
 * Exit code for an archive written without the files or directories that
 * could not be read: Info-ZIP zip's 18, "could not open a specified file to
 * read".
 */
export const EXIT_SKIPPED = 18;
/**
 * Exit code for a run stopped by `--max-time` with its upload kept for
 * `--resume`: sysexits' EX_TEMPFAIL, "try again later".
 */
export const EXIT_PAUSED = 75;

/** A failure the CLI explains in one line; `exitCode` says how the process ends. */
export class CliError extends Error {
  /** The process exit code for this failure. */
  readonly exitCode: number;

  constructor(
    message: string,
    options: { exitCode?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = "CliError";
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/** Bad command-line arguments: exit code 2, and a pointer to `--help`. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT_USAGE });
    this.name = "UsageError";
  }
}

/** The innermost {@linkcode CliError} along `error`'s chain of causes. */
export function findCliError(error: unknown): CliError | undefined {
  return causeChain(error).findLast((cause): cause is CliError =>
    cause instanceof CliError
  );
}

/** The one line of an error: a CliError's, else the error's own message. */
export function messageOf(error: unknown): string {
  return findCliError(error)?.message ?? messageOfError(error);
}
