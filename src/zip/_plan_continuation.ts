/**
 * What it takes to write more entries after a plan's: the plan's entries as
 * `zip()` would be given them, records of where each was written, and the
 * options that shaped their headers. `zip()` resumed at the end of the
 * plan's data from these writes the rest of an archive whose first bytes
 * are the plan's, so a build can copy a plan's data and stream the entries
 * it cannot plan (compressed ones) after it.
 *
 * Kept beside the plan rather than on it: it is how the plan was made, not
 * part of what a plan is to its users.
 *
 * @module
 */

import type { WrittenEntry } from "./written_entry.ts";
import type { ZipEntry } from "./zip_entry.ts";
import type { ZipOptions } from "./zip_options.ts";
import type { ZipPlan } from "./zip_plan.ts";

/** A plan's entries and options as `zip()` takes them, resumed after its data. */
export interface PlanContinuation {
  /** Where the plan's entry data ends and its central directory starts. */
  readonly dataEnd: number;
  /**
   * The plan's entries, stored with their sizes and CRCs. Data given whole
   * is kept (`zip()` writes it again, unseen, to find its place); any other
   * is a stream that fails if read, since the records let `zip()` skip it.
   */
  entries(): ZipEntry[];
  /** Where each of the plan's entries was written. */
  records(): WrittenEntry[];
  /** The options that shaped the plan's headers and end records. */
  readonly options: Pick<
    ZipOptions,
    "comment" | "lastModified" | "timeZone" | "allowEscapingSymlinks"
  >;
}

const continuations = new WeakMap<object, PlanContinuation>();

/** Records how `plan` continues; called by `planZip` only. */
export function recordContinuation(
  plan: ZipPlan,
  continuation: PlanContinuation,
): void {
  continuations.set(plan, continuation);
}

/**
 * How `plan` continues.
 *
 * @throws {TypeError} when `plan` was not made by `planZip`.
 */
export function continuationOf(plan: object): PlanContinuation {
  const continuation = continuations.get(plan);
  if (continuation === undefined) {
    throw new TypeError(
      "Cannot append entries to the plan: expected a plan made by planZip() but received another object",
    );
  }
  return continuation;
}

/** A source `zip()` must never read: the records say its bytes are written. */
export function unreadSource(name: string): ReadableStream<Uint8Array> {
  // No queue to fill: a stream with one pulls as soon as it is made.
  return new ReadableStream({
    pull() {
      throw new Error(
        `expected ${name}'s data to be skipped as already written, but the archive read it: the entries or options differ from the plan's`,
      );
    },
  }, { highWaterMark: 0 });
}
