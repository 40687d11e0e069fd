/**
 * Says that S3 requests are failing and being retried, so that an upload
 * riding out an outage (up to `--retry-max-time`, then the clean-up's
 * `--cleanup-max-time`) is not taken for a hung one.
 *
 * @module
 */

import type { RetryNotice } from "../s3/retry_options.ts";
import type { CliPlan } from "./_args.ts";
import type { Progress } from "./_progress.ts";
import { writeLine } from "./_progress.ts";

/** The least time between two lines about retries, when no progress is drawn. */
const LINE_INTERVAL_MS = 30_000;

/**
 * The `onRetry` of the run's requests: the retry takes the entry name's
 * place in the progress bar or line, if the run draws one (`progress`);
 * otherwise (`--no-progress`, `-v`, the queue's commands) it is a line once a
 * request has failed twice in a row, the first at once and then at most
 * every 30 s, beginning with `prefix`; with `-q`, nothing.
 */
export function retryReporter(
  setup: {
    progress?: Progress;
    display: CliPlan["progress"];
    /** @default {"zipstream"} */
    prefix?: string;
  },
): (notice: RetryNotice) => void {
  const { progress, display, prefix = "zipstream" } = setup;
  let lastLine = -Infinity;
  return (notice) => {
    const { operation, attempt, attempts, reason } = notice;
    if (progress?.retrying(`retrying ${operation}: ${reason}`)) return;
    // A request that failed once and goes through on its retry is no news;
    // one that failed twice in a row is.
    if (display === "none" || attempt < 2) return;
    const now = performance.now();
    if (now - lastLine < LINE_INTERVAL_MS) return;
    lastLine = now;
    writeLine(
      `${prefix}: retrying ${operation} (attempt ${
        attempt + 1
      } of ${attempts}): ${reason}`,
    );
  };
}
