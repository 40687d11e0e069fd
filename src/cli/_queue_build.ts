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
import { reasonOf } from "../_errors.ts";
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
import { QUEUE_NAME, queueConnection } from "./_queue.ts";
import { requireCredentials, s3Client } from "./_s3_client.ts";
import { segmentEntries } from "./_segment_entries.ts";
import { formatSummary } from "./_summary.ts";
import type { Target } from "./_target.ts";
import type { QueuedSegment } from "./_worker_command.ts";

/** BullMQ runs a failing segment this many times before it fails for good. */
const ATTEMPTS = 3;

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
  try {
    await requireCredentials(client, target);
    await events.waitUntilReady();
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
      `${segmentPlan.jobs.length} segments of build ${segmentPlan.build} queued on ${options.queue}; waiting for workers (zipstream worker --queue ${options.queue})`,
    );
    const results = await allWritten(jobs, events, interrupt.signal, say)
      .catch(async (error: unknown) => {
        const left = await giveUp(queue, jobs, events);
        const removed = await discarded(segmentPlan, client);
        throw new CliError(
          `Cannot build ${target}: ${
            interrupt.signal.aborted ? "interrupted" : reasonOf(error)
          }; nothing was stored: ${
            left.length === 0
              ? "the segments' jobs were taken off the queue"
              : `jobs ${left.join(", ")} are still on the queue`
          } and ${removed}`,
          { cause: error },
        );
      });
    say(`joining ${results.length} segments into ${target}`);
    const built = await finishSegments(segmentPlan, results, {
      client,
      signal: interrupt.signal,
      retry: plan.retry,
      ...(plan.concurrency === undefined
        ? {}
        : { concurrency: plan.concurrency }),
    }).catch(async (error: unknown) => {
      throw new CliError(
        `Cannot build ${target}: ${messageOf(error)}; ${await discarded(
          segmentPlan,
          client,
        )}`,
        { cause: error },
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
    // The jobs' records in Redis are of no more use, however the run ended.
    await Promise.allSettled(jobs.map((job) => job.remove()));
    await Promise.allSettled([queue.close(), events.close()]);
    client.destroy();
  }
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
          formatCount(job.data.job.entries.length)
        } entries, ${
          formatBytes(result.length)
        }); ${done} of ${jobs.length} done`,
      );
      return result as SegmentResult;
    })),
  ]);
}

/**
 * Takes the build's jobs off the queue: those waiting are removed, those in
 * a worker's hands are waited for (a worker writing a segment would leave
 * it behind a removal of the segments), then removed. Resolves to the IDs
 * of the jobs the queue still holds.
 */
async function giveUp(
  queue: Queue<QueuedSegment, SegmentResult>,
  jobs: readonly Job<QueuedSegment, SegmentResult>[],
  events: QueueEvents,
): Promise<string[]> {
  const busy: Job<QueuedSegment, SegmentResult>[] = [];
  for (const job of jobs) {
    const removed = await queue.remove(job.id!).catch(() => 0);
    if (removed === 0 && await job.isActive().catch(() => false)) {
      busy.push(job);
    }
  }
  await Promise.allSettled(busy.map((job) => job.waitUntilFinished(events)));
  await Promise.allSettled(jobs.map((job) => job.remove()));
  const left: string[] = [];
  for (const job of jobs) {
    // A failed check counts as left: only a listing says gone.
    if (await queue.getJob(job.id!).catch(() => null) !== undefined) {
      left.push(job.id!);
    }
  }
  return left;
}
