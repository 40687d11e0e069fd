/**
 * The journal's uploads whose process is gone (a crash, SIGKILL, a second
 * Ctrl-C), aborted so that their parts stop being billed: by every run
 * before its own work, briefly, and by `zipstream cleanup` with the full
 * cleanup budget. An upload kept for a `--resume FILE` that still exists is
 * left pending, and said to be.
 *
 * Each upload gets one line saying what was found and what the server
 * confirmed: aborted, already gone, or, when the abort could not be shown
 * done, the library's error, with the record kept for another try.
 *
 * @module
 */

import type { S3Client } from "@aws-sdk/client-s3";
import { resolve } from "node:path";
import { isMissingObject } from "../s3/_s3_error_fields.ts";
import type { AbortUploadResult } from "../s3/abort_upload.ts";
import type { RetryOptions } from "../s3/upload_options.ts";
import { messageOf } from "./_cli_error.ts";
import type { FoundRecord, Journal, UploadRecord } from "./_journal.ts";
import { writeLine } from "./_progress.ts";
import { s3Client } from "./_s3_client.ts";
import { isS3Uri, parseS3Uri } from "./_s3_uri.ts";

/**
 * The budget of the sweep every run makes before its own work: a server
 * that does not answer must not hold up the run for the 5 minutes of
 * `zipstream cleanup`. A record whose abort fails stays for the next try.
 */
export const STARTUP_RETRY: RetryOptions = {
  attempts: 3,
  maxTime: 10_000,
  timeout: 10_000,
};

/** How a sweep of the journal reports and retries. */
export interface SweepOptions {
  retry: RetryOptions;
  signal: AbortSignal;
  dryRun: boolean;
  /** Also report the records left alone because their process is alive, or on another host. */
  reportLive: boolean;
  /** Print only failures. */
  quiet: boolean;
  /** The run's own `--resume FILE` (absolute): its upload is the run's to continue. */
  ownResumeFile?: string | undefined;
}

/**
 * Aborts the journal's uploads whose process is gone, except those kept
 * for a `--resume FILE` that still exists; one line for each. Resolves to
 * the number that could not be shown gone (their records stay).
 *
 * @throws {CliError} The journal cannot be read.
 */
export async function sweepJournal(
  journal: Journal,
  options: SweepOptions,
): Promise<number> {
  const say = (line: string) => {
    if (!options.quiet) writeLine(`zipstream: ${line}`);
  };
  // One client per server and profile (an upload is aborted with the
  // credentials that created it), made when an upload on it is to be aborted.
  const clients = new Map<string, Promise<S3Client>>();
  const clientFor = (record: UploadRecord) => {
    const key = JSON.stringify([
      record.endpoint,
      record.region,
      record.profile,
    ]);
    const client = clients.get(key) ??
      s3Client(
        record.endpoint ?? undefined,
        record.region ?? undefined,
        false,
        record.profile ?? undefined,
      );
    clients.set(key, client);
    return client;
  };
  let failures = 0;
  let records = 0;
  try {
    for await (const found of journal.records()) {
      records++;
      if (found.state !== "abandoned") {
        const line = describeLeftAlone(found, options.reportLive);
        if (found.state === "unreadable") {
          failures++;
          writeLine(`zipstream: ${line}`);
        } else if (line !== undefined) say(line);
        continue;
      }
      const { record, entry } = found;
      try {
        const { line, gone } = await abortAbandoned(
          record,
          options,
          clientFor,
        );
        if (line !== undefined) say(line);
        // The server's word that the upload is gone: the record goes too.
        if (gone) await entry.remove();
      } catch (error) {
        failures++;
        writeLine(
          `zipstream: ${
            messageOf(error)
          }; its record stays in the journal for "zipstream cleanup"`,
        );
      } finally {
        entry.release();
      }
    }
  } finally {
    for (const client of clients.values()) (await client).destroy();
  }
  if (records === 0 && options.reportLive) {
    say(`no upload is recorded in the journal ${journal.directory}`);
  }
  return failures;
}

/**
 * The pass every run makes before its own work: briefly (see
 * {@linkcode STARTUP_RETRY}, stretched by `--cleanup-max-time`), saying
 * only what it aborted, kept or could not abort; a journal that cannot be
 * read is said and does not stop the run.
 */
export async function sweepBeforeRun(
  journal: Journal,
  options: {
    cleanupRetry: RetryOptions;
    signal: AbortSignal;
    quiet: boolean;
    /** The run's `--resume FILE`, as given. */
    resumeFile: string | undefined;
  },
): Promise<void> {
  try {
    await sweepJournal(journal, {
      retry: { ...STARTUP_RETRY, ...options.cleanupRetry },
      signal: options.signal,
      dryRun: false,
      reportLive: false,
      quiet: options.quiet,
      ownResumeFile: options.resumeFile === undefined
        ? undefined
        : isS3Uri(options.resumeFile)
        ? options.resumeFile
        : resolve(options.resumeFile),
    });
  } catch (error) {
    writeLine(`zipstream: ${messageOf(error)}`);
  }
}

/** The line for a record left as it is, or `undefined` when it is not worth one. */
function describeLeftAlone(
  found: Exclude<FoundRecord, { state: "abandoned" }>,
  reportLive: boolean,
): string | undefined {
  switch (found.state) {
    case "unreadable":
      return `Cannot read the journal record ${found.path}: ${found.reason}; left as it is`;
    case "removed-partial":
      return `removed ${found.path}, a journal record cut short by a crash as it was written`;
    case "in-use":
      return reportLive
        ? `${
          uploadOf(found.record)
        } is in use by a live process (it was recorded by process ${found.record.pid}); left alone`
        : undefined;
    case "elsewhere":
      return reportLive
        ? `${
          uploadOf(found.record)
        } was started on host ${found.record.host} (process ${found.record.pid}); left alone: run "zipstream cleanup" there`
        : undefined;
  }
}

/**
 * Aborts one abandoned upload, or says why not: its line (none for the
 * run's own resumable upload), and whether the server confirmed it gone.
 *
 * @throws {S3UploadError} The abort could not be shown done.
 */
async function abortAbandoned(
  record: UploadRecord,
  options: SweepOptions,
  clientFor: (record: UploadRecord) => Promise<S3Client>,
): Promise<{ line: string | undefined; gone: boolean }> {
  const { resumeFile } = record;
  if (
    resumeFile !== null &&
    await checkpointExists(resumeFile, () => clientFor(record))
  ) {
    const line = resumeFile === options.ownResumeFile
      ? undefined
      : `left ${
        uploadOf(record)
      } pending: it is kept for --resume ${resumeFile}; run the same command again to resume it, or discard it with zipstream --abort-resume ${resumeFile}`;
    return { line, gone: false };
  }
  const origin = `left by process ${record.pid}, which is gone; ${
    started(record)
  }`;
  if (options.dryRun) {
    return { line: `would abort ${uploadOf(record)} (${origin})`, gone: false };
  }
  const { abortUpload } = await import("../s3/mod.ts");
  const result = await abortUpload({
    client: await clientFor(record),
    bucket: record.bucket,
    key: record.key,
    uploadId: record.uploadId,
    retry: options.retry,
    signal: options.signal,
  });
  return { line: describeAbort(result, origin), gone: true };
}

/** One line for what `abortUpload` verified, with where the upload came from. */
export function describeAbort(
  result: AbortUploadResult,
  context: string,
): string {
  const upload = uploadOf(result);
  switch (result.outcome) {
    case "aborted":
      return `aborted ${upload} (${context})`;
    case "already-gone":
      return `${upload} (${context}) was already gone`;
    case "completed":
      return `${upload} (${context}) was completed: the object is stored`;
  }
}

/** `2026-05-01 10:00:00 UTC`: seconds are as precise as S3's listing. */
export function formatTime(time: Date): string {
  return `${time.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

function uploadOf(
  record: Pick<UploadRecord, "uploadId" | "bucket" | "key">,
): string {
  return `upload ID ${record.uploadId} of s3://${record.bucket}/${record.key}`;
}

function started(record: UploadRecord): string {
  const time = new Date(record.started);
  return Number.isNaN(time.getTime())
    ? `started ${record.started}`
    : `started ${formatTime(time)}`;
}

/**
 * Whether the checkpoint a record names is there: FILE, or an `s3://`
 * object on the upload's server. Unknown is not absent: an upload kept
 * for resuming must not be lost.
 */
async function checkpointExists(
  name: string,
  client: () => Promise<S3Client>,
): Promise<boolean> {
  try {
    if (!isS3Uri(name)) {
      await Deno.lstat(name);
      return true;
    }
    const { bucket, key } = parseS3Uri(name);
    const { HeadObjectCommand } = await import("@aws-sdk/client-s3");
    await (await client()).send(
      new HeadObjectCommand({ Bucket: bucket, Key: key }),
    );
    return true;
  } catch (error) {
    return !(error instanceof Deno.errors.NotFound || isMissingObject(error));
  }
}
