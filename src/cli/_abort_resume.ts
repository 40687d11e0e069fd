/**
 * `--abort-resume FILE`: discards the upload a checkpoint file records, for
 * when it will not be resumed (its inputs changed, or it is no longer wanted).
 *
 * @module
 */

import { describeError, messageOf } from "../_errors.ts";
import type { AbortUploadResult } from "../s3/abort_upload.ts";
import { CliError, EXIT_FAILURE, findCliError } from "./_cli_error.ts";
import { writeLine } from "./_progress.ts";
import type { UploadCheckpoint } from "../s3/upload_checkpoint.ts";
import { openCheckpointStore } from "./_checkpoint_store.ts";
import { Journal, journalDirectory } from "./_journal.ts";
import { readRecordedUpload, type RecordedUpload } from "./_resume_record.ts";
import { s3Client } from "./_s3_client.ts";

/** The server and credentials given on the command line, each optional. */
export interface AbortServer {
  /** `--endpoint`; else the one FILE records. */
  endpoint: string | undefined;
  /** `--region`; else the one FILE records. */
  region: string | undefined;
  /** `--profile`: the SDK profile of credentials. */
  profile: string | undefined;
}

/**
 * Aborts the multipart upload FILE records with `abortUpload`, on the server
 * given (`--endpoint`, `--region`) or else the one FILE records, with the
 * credentials of `--profile` or else the SDK's default ones, then removes
 * FILE and FILE.entries. FILE stays when the upload cannot be shown gone.
 * Resolves to what `abortUpload` verified, and why FILE could not be
 * removed, if it could not.
 *
 * @throws {CliError} FILE cannot be read, or the upload cannot be shown gone.
 */
export async function abortResume(
  path: string,
  server: AbortServer,
): Promise<
  {
    result: AbortUploadResult;
    left: string | undefined;
    upload: UploadCheckpoint;
  }
> {
  const store = await openCheckpointStore(path, server);
  let recorded: RecordedUpload;
  try {
    recorded = await readRecordedUpload(store);
  } catch (error) {
    store.close();
    throw error;
  }
  const [client, { abortUpload }] = await Promise.all([
    s3Client(
      server.endpoint ?? recorded.endpoint,
      server.region ?? recorded.region,
      false,
      server.profile,
    ),
    import("../s3/mod.ts"),
  ]);
  let result: AbortUploadResult;
  try {
    result = await abortUpload({ client, checkpoint: recorded.upload });
  } catch (error) {
    store.close();
    // abortUpload's message names the upload, what was tried and the answer.
    const message = messageOf(error);
    throw new CliError(
      `${message}; kept ${path} to try again with zipstream --abort-resume ${path}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
  const left = await store.remove();
  return { result, left, upload: recorded.upload };
}

/** `zipstream --abort-resume FILE`: aborts, prints one line, returns the exit code. */
export async function runAbortResume(
  path: string,
  server: AbortServer,
  quiet: boolean,
): Promise<number> {
  try {
    const { result, left, upload } = await abortResume(path, server);
    await forgetUpload(upload);
    const removed = left === undefined
      ? `removed ${path}`
      : `could not remove ${path} (${left}): delete it`;
    if (!quiet || left !== undefined) {
      writeLine(`zipstream: ${describe(result, removed)}`);
    }
    // The upload is gone, so the journal's record of it goes too (exit 0);
    // FILE left behind is said even with --progress none.
    return 0;
  } catch (error) {
    const known = findCliError(error);
    writeLine(`zipstream: ${known?.message ?? describeError(error)}`);
    return known?.exitCode ?? EXIT_FAILURE;
  }
}

function describe(result: AbortUploadResult, removed: string): string {
  const upload =
    `upload ID ${result.uploadId} of s3://${result.bucket}/${result.key}`;
  switch (result.outcome) {
    case "aborted":
      return `aborted ${upload} and ${removed}`;
    case "already-gone":
      return `${upload} no longer existed; ${removed}`;
    case "completed":
      return `${upload} was completed by an earlier run: the object is stored; ${removed}`;
  }
}

/** The upload is gone: so goes the journal's record of it, if there is one. */
async function forgetUpload(upload: UploadCheckpoint): Promise<void> {
  try {
    await new Journal(journalDirectory()).forget(upload);
  } catch {
    // No journal here, or it cannot be read: a later sweep finds the upload gone.
  }
}
