/**
 * The lines a failed run prints: the interruption or the error, then what
 * became of the target as its sink verified it, and the exit code.
 *
 * @module
 */

import { causeChain } from "../_errors.ts";
import {
  type CliError,
  EXIT_FAILURE,
  findCliError,
  messageOf,
  UsageError,
} from "./_cli_error.ts";
import { writeLine } from "./_progress.ts";
import { describeLeftover, type Leftover, OutputFailure } from "./_target.ts";

/** What the failed write left at the target, as its sink checked it. */
export function leftoverOf(error: unknown): Leftover {
  const failure = causeChain(error).find((cause): cause is OutputFailure =>
    cause instanceof OutputFailure
  );
  return failure?.leftover ?? { kind: "nothing" };
}

/**
 * Reports a failed run: the interruption or the error, then what became of
 * the target, as verified; returns the exit code.
 */
export function reportFailure(
  error: unknown,
  interruption: CliError | undefined,
  resumeNote: string | undefined,
): number {
  const notes = [describeLeftover(leftoverOf(error)), resumeNote]
    .filter((note) => note !== undefined);
  const cleanup = notes.length === 0 ? undefined : notes.join("; ");
  if (interruption !== undefined) {
    writeLine(
      `zipstream: ${interruption.message}${
        cleanup === undefined ? "" : `; ${cleanup}`
      }`,
    );
    return interruption.exitCode;
  }
  const known = findCliError(error);
  // Errors from the archive itself (a file that changed size while being
  // read, a name the format rejects) carry their own explanation.
  writeLine(`zipstream: ${messageOf(error).split("\n")[0]}`);
  if (known instanceof UsageError) {
    writeLine("Try 'zipstream --help' for more information");
  } else if (cleanup !== undefined) {
    writeLine(`zipstream: ${cleanup}`);
  }
  return known?.exitCode ?? EXIT_FAILURE;
}
