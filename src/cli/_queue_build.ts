/**
 * `zipstream --queue redis://… SOURCES -o s3://bucket/key.zip`: the archive
 * written by `zipstream worker` processes. The entries are cut into
 * segments (`planSegments`), one BullMQ job each; the command waits for the
 * workers, showing each segment as it is written, then joins them
 * (`finishSegments`). A segment that fails for good (after BullMQ's
 * attempts), or Ctrl-C, takes the jobs still waiting off the queue, waits
 * for those in hand, and removes every segment: nothing is left.
 *
 * @module
 */

import type { Job, Queue, QueueEvents } from "bullmq";
import { causeChain, reasonOf } from "../_errors.ts";
import { S3UploadError } from "../s3/s3_upload_error.ts";
import { planSegments } from "../segments/plan_segments.ts";
import {
  discardSegments,
  finishSegments,
} from "../segments/finish_segments.ts";
import type { SegmentPlan, SegmentResult } from "../segments/segment_job.ts";
import type { CliPlan } from "./_args.ts";
import { CliError, messageOf } from "./_cli_error.ts";
import { type ArchiveItem, inputBytes } from "./_entries.ts";
import { formatBytes, formatCount } from "./_format.ts";
import type { Interrupt } from "./_interrupt.ts";
import { writeLine } from "./_progress.ts";
import {
  closeQueue,
  QUEUE_NAME,
  queueConnection,
  reachQueue,
  reportQueueErrors,
  withinTime,
} from "./_queue.ts";
import { retryReporter } from "./_retry_report.ts";
import { requireCredentials, s3Client } from "./_s3_client.ts";
import { segmentEntries } from "./_segment_entries.ts";
import { formatSummary } from "./_summary.ts";
import { OutputFailure, type Target } from "./_target.ts";
import type { QueuedSegment } from "./_worker_command.ts";

/** BullMQ runs a failing segment this many times before it fails for good. */
const ATTEMPTS = 3;
/**
 * The longest wait for each Redis command of a build that is ending: with
 * Redis gone, BullMQ's commands wait for ever.
 */
const ENDING_COMMAND_TIME = 10_000;

/** Where the archive goes and how the run is set up. */
export interface QueueBuildOptions {
  plan: CliPlan;
  /** The queue's Redis server, `--queue`. */
  queue: string;
  /** `-o`: `s3://`, as parseCliArgs checked, where the workers write the segments. */
  target: Target;
  interrupt: Interrupt;
}

/**
 * Builds the archive of `items` on the queue and prints the summary.
 *
 * @throws {CliError} when a segment failed for good or the join failed,
 * saying what was left (nothing, once the segments were removed).
 */
export async function buildOnQueue(
  items: readonly ArchiveItem[],
  options: QueueBuildOptions,
): Promise<void> {
  const { plan, target: output, interrupt } = options;
  // parseCliArgs refused any other target.
  if (output.kind !== "s3") {
    throw new TypeError("--queue needs an s3:// target");
  }
  const { bucket, key } = output;
  const target = `s3://${bucket}/${key}`;
  const started = performance.now();
  const segmentPlan = planSegments(segmentEntries(items, plan.storeSuffixes), {
    bucket,
    key,
    compression: plan.compression,
    level: plan.level,
    ...(plan.comment === undefined ? {} : { comment: plan.comment }),
    ...(plan.segmentSize === undefined
      ? {}
      : { segmentBytes: plan.segmentSize }),
  });
  const say = (line: string) => {
    if (plan.progress !== "none") writeLine(`zipstream: ${line}`);
  };
  const client = await s3Client(
    plan.endpoint,
    plan.region,
    false,
    plan.profile,
  );
  const { Queue, QueueEvents } = await import("bullmq");
  const connection = queueConnection(options.queue);
  const queue: Queue<QueuedSegment, SegmentResult> = new Queue(QUEUE_NAME, {
    connection,
  });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  let jobs: Job<QueuedSegment, SegmentResult>[] = [];
  // Whether Redis answers, as far as the run knows: a build that ends
  // waits for the commands that clean up only while it does.
  let answering = false;
  try {
    await reachQueue(options.queue, [queue, events], interrupt.signal);
    answering = true;
    reportQueueErrors(
      options.queue,
      [queue, events],
      (line) => writeLine(`zipstream: ${line}`),
    );
    await requireCredentials(client, target);
    interrupt.activity = {
      kind: "queue",
      target,
      segments: `s3://${bucket}/${key}.zipstream-segments/`,
    };
    jobs = await queue.addBulk(segmentPlan.jobs.map((job) => ({
      name: "segment",
      data: { job },
      opts: {
        jobId: `${job.build}-${job.index}`,
        attempts: ATTEMPTS,
        backoff: { type: "exponential", delay: 1000 },
      },
    })));
    say(
      `${
        counted(segmentPlan.jobs.length, "segment", "segments")
      } of build ${segmentPlan.build} queued on ${options.queue}; waiting for workers (zipstream worker --queue ${options.queue})`,
    );
    const results = await allWritten(jobs, events, interrupt.signal, say)
      .catch(async (error: unknown) => {
        const left = await giveUp(queue, jobs, events);
        if (left === undefined) answering = false;
        const jobsLeft = left === undefined
          ? `the segments' jobs could not be taken off the queue, as its Redis did not answer in ${
            ENDING_COMMAND_TIME / 1000
          } s (a worker that takes one later writes its segment, which zipstream cleanup s3://${bucket}/${key}.zipstream-segments/ removes)`
          : left.length === 0
          ? "the segments' jobs were taken off the queue"
          : `jobs ${left.join(", ")} are still on the queue`;
        // The archive's upload is created by the join, which was not reached.
        throw new OutputFailure(
          {
            kind: "segments",
            account: `nothing was stored: ${jobsLeft} and ${await discarded(
              segmentPlan,
              client,
            )}`,
          },
          new CliError(`Cannot build ${target}: ${reasonOf(error)}`, {
            cause: error,
          }),
        );
      });
    say(`joining ${results.length} segments into ${target}`);
    const built = await finishSegments(segmentPlan, results, {
      client,
      signal: interrupt.signal,
      retry: {
        ...plan.retry,
        onRetry: retryReporter({ display: plan.progress }),
      },
      ...(plan.concurrency === undefined
        ? {}
        : { concurrency: plan.concurrency }),
    }).catch(async (error: unknown) => {
      const account = [
        joinLeft(error, target),
        await discarded(segmentPlan, client),
      ].filter((part) => part !== undefined).join("; ");
      throw new OutputFailure(
        { kind: "segments", account },
        new CliError(`Cannot build ${target}: ${messageOf(error)}`, {
          cause: error,
        }),
      );
    });
    if (plan.progress !== "none") {
      writeLine(formatSummary({
        entries: built.entries,
        bytesIn: inputBytes(items),
        bytesOut: built.size,
        elapsedMs: performance.now() - started,
        target,
        object: built,
        built: {
          bytesSent: built.bytesSent,
          bytesCopied: built.bytesCopied,
          bytesRead: built.bytesRead,
          segments: built.segments,
        },
      }));
    }
  } finally {
    // The jobs' records in Redis are of no more use, however the run ended;
    // a Redis that went away must not keep the command from ending.
    if (answering && jobs.length > 0) {
      const removed = await withinTime(
        Promise.allSettled(jobs.map((job) => job.remove())),
        ENDING_COMMAND_TIME,
      );
      if (removed === undefined) answering = false;
    }
    await closeQueue([queue, events], answering);
    client.destroy();
  }
}

/**
 * What a failed join left of the archive's upload, as `finishSegments`
 * verified it; `undefined` when it failed before starting one.
 */
function joinLeft(error: unknown, target: string): string | undefined {
  const failed = causeChain(error).find((cause): cause is S3UploadError =>
    cause instanceof S3UploadError
  );
  if (failed === undefined) return undefined;
  const upload = failed.uploadId === undefined
    ? "the archive's upload"
    : `upload ID ${failed.uploadId}`;
  return failed.outcome === "nothing-left"
    ? `nothing was stored${
      failed.uploadId === undefined ? "" : `; ${upload} was aborted`
    }`
    : `${upload} of ${target} may still be pending: "zipstream cleanup ${target} --older-than 1s" aborts it`;
}

/** Removes the build's segments, and says what a listing then showed. */
async function discarded(
  plan: SegmentPlan,
  client: Parameters<typeof discardSegments>[1]["client"],
): Promise<string> {
  try {
    await discardSegments(plan, { client });
    return "the segments written were removed";
  } catch (error) {
    return `the segments could not all be removed: ${messageOf(error)}`;
  }
}

/** Every segment's result, in order, as workers finish them. */
async function allWritten(
  jobs: readonly Job<QueuedSegment, SegmentResult>[],
  events: QueueEvents,
  signal: AbortSignal,
  say: (line: string) => void,
): Promise<SegmentResult[]> {
  let done = 0;
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), {
      once: true,
    });
  });
  return await Promise.race([
    aborted,
    Promise.all(jobs.map(async (job) => {
      const result = await job.waitUntilFinished(events).catch(
        (error: unknown) => {
          throw new Error(
            `segment ${
              job.data.job.index + 1
            }/${jobs.length} failed after ${ATTEMPTS} attempts: ${
              messageOf(error)
            }`,
            { cause: error },
          );
        },
      );
      done++;
      say(
        `segment ${job.data.job.index + 1}/${jobs.length} written (${
          counted(job.data.job.entries.length, "entry", "entries")
        }, ${formatBytes(result.length)}); ${done} of ${jobs.length} done`,
      );
      return result as SegmentResult;
    })),
  ]);
}

/**
 * Takes the build's jobs off the queue: those waiting are removed, those in
 * a worker's hands are waited for (a worker writing a segment would leave
 * it behind a removal of the segments), then removed. Resolves to the IDs
 * of the jobs the queue still holds, or `undefined` when Redis did not
 * answer in {@linkcode ENDING_COMMAND_TIME}.
 */
async function giveUp(
  queue: Queue<QueuedSegment, SegmentResult>,
  jobs: readonly Job<QueuedSegment, SegmentResult>[],
  events: QueueEvents,
): Promise<string[] | undefined> {
  const answer = <T>(command: Promise<T>, failed: T) =>
    withinTime(command.catch(() => failed), ENDING_COMMAND_TIME);
  const busy: Job<QueuedSegment, SegmentResult>[] = [];
  for (const job of jobs) {
    const removed = await answer(queue.remove(job.id!), 0);
    if (removed === undefined) return undefined;
    if (removed === 0 && await answer(job.isActive(), false)) busy.push(job);
  }
  await Promise.allSettled(busy.map((job) => job.waitUntilFinished(events)));
  await Promise.allSettled(jobs.map((job) => answer(job.remove(), undefined)));
  const left: string[] = [];
  for (const job of jobs) {
    // A failed or unanswered check counts as left: only a lookup says gone.
    const held = queue.getJob(job.id!).then((found) => found !== undefined);
    if (await answer(held, true) !== false) {
      left.push(job.id!);
    }
  }
  return left;
}

/** `1 entry`, `2 entries`, `1,000 entries`. */
function counted(count: number, one: string, many: string): string {
  return `${formatCount(count)} ${count === 1 ? one : many}`;
}
