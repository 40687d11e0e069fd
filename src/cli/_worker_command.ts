/**
 * `zipstream worker --queue redis://…`: takes segment jobs from the queue
 * (BullMQ) and writes each with `buildSegment`, until SIGINT or SIGTERM. A
 * job whose worker dies is handed to another once its lock expires
 * (`--lock-time`), and retried after a failure, by BullMQ.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import type { Job, Worker } from "bullmq";
import { buildSegment } from "../segments/build_segment.ts";
import type {
  JsonValue,
  SegmentJob,
  SegmentResult,
} from "../segments/segment_job.ts";
import { CliError, EXIT_USAGE, messageOf, UsageError } from "./_cli_error.ts";
import { formatBytes, formatDuration } from "./_format.ts";
import {
  parseCommandLine,
  parseSeconds,
  parseWholeNumber,
} from "./_option_values.ts";
import { writeLine } from "./_progress.ts";
import {
  CLOSE_TIME,
  closeQueue,
  QUEUE_NAME,
  queueConnection,
  reachQueue,
  reportQueueErrors,
} from "./_queue.ts";
import { retryReporter } from "./_retry_report.ts";
import { s3Client } from "./_s3_client.ts";

const SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;
/** What a job carries: the segment to write. */
export interface QueuedSegment {
  job: SegmentJob;
}

const USAGE = `Usage: zipstream worker --queue redis://HOST:PORT [options]

Takes segment jobs from the queue (zipstream --queue ... SOURCES -o s3://...)
and writes them, until SIGINT or SIGTERM (the job in hand is finished first).

  --queue URL          the Redis server of the queue (required)
  --endpoint URL       the S3 server of the segments and s3:// sources
  --region R           its region
  --profile NAME       the AWS SDK profile of the credentials
  --concurrency N      segments written at once, 1 to 64 (default: 1)
  --workers N          threads that deflate each segment, 0 to 64
  --lock-time S        seconds a job stays with a worker that stopped
                       answering before BullMQ gives it to another (default: 30)
  -q, --quiet          no line per segment
  -h, --help           show this help
`;

/** `zipstream worker`: resolves to the exit code once it has stopped. */
export async function runWorker(args: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseWorkerArgs(args);
  } catch (error) {
    if (error instanceof UsageError) {
      writeLine(`zipstream worker: ${error.message}`);
      writeLine(USAGE.split("\n")[0]!);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (options.help) {
    await Deno.stdout.write(new TextEncoder().encode(USAGE));
    return 0;
  }
  const { Worker } = await import("bullmq");
  const client = await s3Client(
    options.endpoint,
    options.region,
    false,
    options.profile,
  );
  const connection = queueConnection(options.queue);
  const started = new Map<string, number>();
  const worker: Worker<QueuedSegment, SegmentResult> = new Worker(
    QUEUE_NAME,
    (job: Job<QueuedSegment>) => writeSegment(job.data.job, client, options),
    {
      connection,
      concurrency: options.concurrency,
      lockDuration: options.lockTime,
      stalledInterval: Math.max(1000, Math.floor(options.lockTime / 2)),
      autorun: false,
    },
  );
  const say = (line: string) => {
    if (!options.quiet) writeLine(`zipstream worker: ${line}`);
  };
  worker.on("active", (job) => {
    started.set(job.id ?? "", performance.now());
    say(`writing ${describe(job.data.job)}`);
  });
  worker.on("completed", (job, result) => {
    const since = started.get(job.id ?? "") ?? performance.now();
    started.delete(job.id ?? "");
    say(
      `wrote ${describe(job.data.job)}: ${formatBytes(result.length)} in ${
        formatDuration(performance.now() - since)
      }`,
    );
  });
  worker.on("failed", (job, error) => {
    if (job === undefined) return;
    started.delete(job.id ?? "");
    writeLine(
      `zipstream worker: ${
        describe(job.data.job)
      } failed (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}): ${
        messageOf(error)
      }`,
    );
  });
  let exitCode: number | undefined;
  const stopping = new AbortController();
  /** Settles once the worker has closed, or has given up closing. */
  const stopped = Promise.withResolvers<void>();
  let closedCleanly = true;
  const stop = (signal: keyof typeof SIGNALS) => () => {
    if (exitCode !== undefined) Deno.exit(exitCode);
    exitCode = SIGNALS[signal];
    say(`${signal}: finishing the segment in hand, then stopping`);
    stopping.abort(new CliError(`stopped by ${signal}`));
    let closed = false;
    worker.close().finally(() => {
      closed = true;
      stopped.resolve();
    }).catch(() => {});
    // BullMQ's close waits for ever for a Redis that went away; once no
    // segment is in hand, there is nothing left to wait for.
    const idle = async () => {
      do {
        await new Promise((resolve) => setTimeout(resolve, CLOSE_TIME));
      } while (started.size > 0 && !closed);
      if (closed) return;
      closedCleanly = false;
      say(
        `stopped without closing the queue's connection: it did not close in ${
          CLOSE_TIME / 1000
        } s with no segment in hand`,
      );
      stopped.resolve();
    };
    idle();
  };
  const handlers = (Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]).map(
    (signal) => [signal, stop(signal)] as const,
  );
  for (const [signal, handler] of handlers) {
    Deno.addSignalListener(signal, handler);
  }
  let reached = false;
  try {
    await reachQueue(options.queue, [worker], stopping.signal);
    reached = true;
    reportQueueErrors(
      options.queue,
      [worker],
      (line) => writeLine(`zipstream worker: ${line}`),
    );
    say(
      `waiting for segments on ${options.queue} (queue ${QUEUE_NAME}, ${options.concurrency} at a time)`,
    );
    await Promise.race([worker.run(), stopped.promise]);
    return exitCode ?? 0;
  } catch (error) {
    if (stopping.signal.aborted) return exitCode!;
    writeLine(`zipstream worker: ${messageOf(error)}`);
    return 1;
  } finally {
    for (const [signal, handler] of handlers) {
      Deno.removeSignalListener(signal, handler);
    }
    await closeQueue([worker], reached && closedCleanly);
    client.destroy();
  }
}

interface WorkerOptions {
  help: boolean;
  queue: string;
  endpoint: string | undefined;
  region: string | undefined;
  profile: string | undefined;
  concurrency: number;
  workers: number | undefined;
  lockTime: number;
  quiet: boolean;
}

function parseWorkerArgs(args: readonly string[]): WorkerOptions {
  const { values, positionals } = parseCommandLine(args, {
    queue: { type: "string" },
    endpoint: { type: "string" },
    "endpoint-url": { type: "string" },
    region: { type: "string" },
    profile: { type: "string" },
    concurrency: { type: "string" },
    workers: { type: "string" },
    "lock-time": { type: "string" },
    quiet: { type: "boolean", short: "q" },
    help: { type: "boolean", short: "h" },
  });
  const help = values.help === true;
  if (positionals.length > 0) {
    throw new UsageError(
      `expected no paths (the jobs name their sources) but got "${
        positionals[0]
      }"`,
    );
  }
  if (values.queue === undefined && !help) {
    throw new UsageError("expected --queue redis://HOST:PORT");
  }
  return {
    help,
    queue: values.queue ?? "",
    endpoint: values.endpoint ?? values["endpoint-url"],
    region: values.region,
    profile: values.profile,
    concurrency: values.concurrency === undefined
      ? 1
      : parseWholeNumber("--concurrency", values.concurrency, 1, 64),
    workers: values.workers === undefined
      ? undefined
      : parseWholeNumber("--workers", values.workers, 0, 64),
    lockTime: values["lock-time"] === undefined
      ? 30_000
      : parseSeconds("--lock-time", values["lock-time"]),
    quiet: values.quiet === true,
  };
}

function describe(job: SegmentJob): string {
  return `segment ${
    job.index + 1
  }/${job.count} of build ${job.build} (${job.entries.length} ${
    job.entries.length === 1 ? "entry" : "entries"
  })`;
}

async function writeSegment(
  job: SegmentJob,
  client: S3Client,
  options: WorkerOptions,
): Promise<SegmentResult> {
  return await buildSegment(job, {
    client,
    open: openFile,
    retry: {
      onRetry: retryReporter({
        display: options.quiet ? "none" : "summary",
        prefix: `zipstream worker: ${describe(job)}`,
      }),
    },
    ...(options.workers === undefined ? {} : { workers: options.workers }),
  });
}

/** `{ file }`: a file at the same path on every worker. */
async function openFile(
  source: JsonValue,
): Promise<ReadableStream<Uint8Array>> {
  const path = typeof source === "object" && source !== null &&
      !Array.isArray(source) && typeof source.file === "string"
    ? source.file
    : undefined;
  if (path === undefined) {
    throw new CliError(
      `expected a source { s3 }, { text } or { file } but got ${
        JSON.stringify(source)
      }`,
    );
  }
  const file = await Deno.open(path);
  return file.readable;
}
