/**
 * The archive written by this process: `zip()` of the walked items into a
 * file, standard output or an S3 object (resumable with `--resume`,
 * paused at `--max-time`), with the progress bar and the closing lines.
 *
 * @module
 */

import { zip } from "../zip/mod.ts";
import type { WrittenEntry } from "../zip/written_entry.ts";
import type { ZipOptions } from "../zip/zip_options.ts";
import type { CliPlan } from "./_args.ts";
import { archiveProgress, feedProgress } from "./_archive_progress.ts";
import { type ArchiveItem, exactLength } from "./_entries.ts";
import { leftoverOf } from "./_failure_report.ts";
import { writeToFile, writeToStdout } from "./_file_sink.ts";
import type { Interrupt } from "./_interrupt.ts";
import { Journal, journalDirectory } from "./_journal.ts";
import { writeLine } from "./_progress.ts";
import { retryReporter } from "./_retry_report.ts";
import { ResumeFile } from "./_resume_file.ts";
import { fingerprintInputs } from "./_resume_inputs.ts";
import { type PausedObject, type S3Object, writeToS3 } from "./_s3_sink.ts";
import { describeCompression, hasStoredSuffix } from "./_store_suffixes.ts";
import {
  formatCompletedEarlier,
  formatPaused,
  formatSkipped,
  formatSummary,
  formatUnverified,
} from "./_summary.ts";
import { describeTarget, type Leftover, OutputFailure } from "./_target.ts";
import { formatAdding } from "./_verbose.ts";

/** What became of `--resume`'s checkpoint after a failed run, for the report. */
export interface RunState {
  /** `removed FILE` when the upload FILE recorded is gone, else undefined. */
  resumeNote: string | undefined;
}

/** The run's side of a streamed build. */
export interface StreamBuild {
  plan: CliPlan;
  items: readonly ArchiveItem[];
  /** `-e`'s password, when the files are encrypted. */
  password: string | undefined;
  interrupt: Interrupt;
  /** Where uploads are recorded; `undefined` when the environment names no place. */
  journal: Journal | undefined;
  /** Paths left out as unreadable, for the closing lines. */
  skipped: number;
  /** `--max-time`: when no new part may start, in milliseconds since the epoch. */
  deadline: number | undefined;
  state: RunState;
}

/**
 * Writes the archive and prints the closing lines. Resolves to `"paused"`
 * when `--max-time` came first: the upload and its checkpoint are kept for
 * the next run, as its line says.
 *
 * @throws {OutputFailure} The write failed; `state.resumeNote` says what
 * became of the checkpoint.
 */
export async function streamBuild(
  build: StreamBuild,
): Promise<"done" | "paused"> {
  const { plan, items, password, interrupt, journal, skipped, state } = build;
  const { target } = plan;
  let workersUnavailable: Error | undefined;
  const options: ZipOptions = {
    compression: plan.compression,
    level: plan.level,
    allowEscapingSymlinks: plan.allowEscapingSymlinks,
    ...(plan.comment === undefined ? {} : { comment: plan.comment }),
    ...(plan.workers === undefined ? {} : { workers: plan.workers }),
    ...(password === undefined ? {} : { password }),
    onWorkers: (status) => {
      if (status.state === "unavailable") workersUnavailable = status.reason;
    },
  };
  const where = describeTarget(target);
  const resume = plan.resume === undefined ? undefined : await ResumeFile.open(
    plan.resume,
    where,
    {
      compression: describeCompression(plan.compression, plan.storeSuffixes),
      level: plan.level,
      comment: plan.comment ?? null,
      entries: items.length,
      inputs: fingerprintInputs(items),
    },
    plan.partSize,
    { endpoint: plan.endpoint, region: plan.region, profile: plan.profile },
    password,
  );
  const progress = archiveProgress({
    items,
    display: plan.progress,
    verbose: plan.verbose,
    uploads: target.kind === "s3",
    resumePoint: resume?.resumePoint,
  });
  // A signal's line must not land in the middle of the bar.
  interrupt.beforeLine = () => progress.stop();
  const onRetry = retryReporter({ progress, display: plan.progress });
  const { entries, entryWritten } = feedProgress(
    progress,
    items,
    plan.storeSuffixes,
  );
  const contentLength = target.kind === "s3"
    ? exactLength(items, options, plan.storeSuffixes)
    : undefined;
  const stored = (name: string) =>
    plan.compression === "store" || hasStoredSuffix(name, plan.storeSuffixes);
  const onEntry = (entry: WrittenEntry) => {
    entryWritten(entry);
    resume?.onEntry(entry);
    if (plan.verbose) writeLine(formatAdding(entry, stored(entry.name)));
  };
  const archive = zip(
    entries,
    resume === undefined ? { ...options, onEntry } : {
      ...options,
      onEntry,
      resume: resume.resumePoint,
      ...(resume.saltKey === undefined ? {} : { saltKey: resume.saltKey }),
    },
  ).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        progress.bytesWritten(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );

  let object: S3Object | PausedObject | undefined;
  try {
    switch (target.kind) {
      case "file":
        interrupt.activity = { kind: "writing", target: where };
        await writeToFile(archive, target.path, interrupt.signal, () => {
          interrupt.activity = { kind: "file", path: target.path };
        });
        break;
      case "stdout":
        interrupt.activity = { kind: "writing", target: where };
        await writeToStdout(archive, interrupt.signal);
        break;
      case "s3":
        interrupt.activity = {
          kind: "upload",
          target: where,
          resumeFile: plan.resume,
          upload: undefined,
        };
        object = await writeToS3(archive, {
          ...(resume === undefined ? {} : {
            resume: {
              path: resume.path,
              absolutePath: resume.recordedName,
              checkpoint: resume.checkpoint,
              bodyOffset: resume.resumePoint.offset,
              save: (checkpoint) => resume.save(checkpoint),
            },
          }),
          bucket: target.bucket,
          key: target.key,
          endpoint: plan.endpoint,
          region: plan.region,
          profile: plan.profile,
          object: plan.object,
          partSize: plan.partSize,
          concurrency: plan.concurrency,
          contentMd5: plan.contentMd5,
          payloadSigning: plan.payloadSigning,
          partChecksum: plan.partChecksum,
          contentLength,
          retry: { ...plan.retry, onRetry },
          cleanupRetry: { ...plan.cleanupRetry, onRetry },
          signal: interrupt.signal,
          onUploaded: (bytes) => progress.bytesUploaded(bytes),
          journal: journal ?? new Journal(journalDirectory()),
          ...(build.deadline === undefined ? {} : { deadline: build.deadline }),
          onUpload: (upload) => {
            interrupt.activity = {
              kind: "upload",
              target: where,
              resumeFile: plan.resume,
              upload,
            };
          },
        });
        break;
    }
    if (object?.outcome !== "paused") await resume?.remove();
  } catch (error) {
    const note = await resume?.afterFailure(error);
    const leftover = leftoverOf(error);
    // FILE kept with its upload: the leftover's line says so and how to go on.
    const kept = leftover.kind === "upload-pending" &&
      leftover.resumeFile !== undefined;
    state.resumeNote = kept ? undefined : note;
    throw error;
  } finally {
    progress.stop();
  }
  if (workersUnavailable !== undefined) {
    // Printed even with --quiet: the run was slower than asked for.
    writeLine(
      `zipstream: note: deflate workers could not start (${workersUnavailable.message}); compressed on this thread`,
    );
  }
  if (object?.outcome === "paused") {
    // Outside the failure path above, which would drop the checkpoint.
    await keep(resume!, object, where);
    // Printed even with --quiet: the archive is not there yet.
    writeLine(formatPaused({
      bytesStored: object.bytesUploaded,
      bytesTotal: contentLength,
      parts: object.parts,
      uploadId: object.uploadId,
      elapsedMs: progress.elapsed,
      target: where,
      checkpoint: plan.resume!,
    }));
    return "paused";
  }
  if (object?.outcome === "stored-unverified") {
    // Printed even with --quiet: the object may not be what was sent.
    writeLine(formatUnverified(where, object.unverified ?? "unknown"));
  }
  if (plan.progress !== "none") {
    writeLine(
      object?.completedEarlier && plan.resume !== undefined
        ? formatCompletedEarlier(plan.resume, where, object)
        : formatSummary({
          entries: progress.entriesDone,
          bytesIn: progress.bytesIn,
          bytesOut: progress.bytesOut,
          resumed: progress.resumed,
          elapsedMs: progress.elapsed,
          target: where,
          object,
        }),
    );
    if (skipped > 0) writeLine(formatSkipped(skipped));
  }
  return "done";
}

/**
 * Makes the paused upload's newest checkpoint, which a store may have held
 * back, and stops writing it.
 *
 * @throws {OutputFailure} It could not be saved: the upload is pending, and
 * the checkpoint saved before it resumes it, sending the later parts again.
 */
async function keep(
  resume: ResumeFile,
  paused: PausedObject,
  target: string,
): Promise<void> {
  try {
    await resume.keep();
  } catch (error) {
    const leftover: Leftover = {
      kind: "upload-pending",
      target,
      uploadId: paused.uploadId,
      resumeFile: resume.path,
      recorded: true,
    };
    throw new OutputFailure(leftover, error);
  }
}
