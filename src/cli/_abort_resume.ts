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
import { readRecordedUpload } from "./_resume_file.ts";
import { reason } from "./_walk.ts";
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
): Promise<{ result: AbortUploadResult; left: string | undefined }> {
  const recorded = await readRecordedUpload(path);
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
    // abortUpload's message names the upload, what was tried and the answer.
    const message = messageOf(error);
    throw new CliError(
      `${message}; kept ${path} to try again with zipstream --abort-resume ${path}`,
      { cause: error },
    );
  } finally {
    client.destroy();
  }
  const left = await Deno.remove(path).then(
    () => undefined,
    (error) =>
      error instanceof Deno.errors.NotFound ? undefined : reason(error),
  );
  await Deno.remove(`${path}.entries`).catch(() => {});
  return { result, left };
}

/** `zipstream --abort-resume FILE`: aborts, prints one line, returns the exit code. */
export async function runAbortResume(
  path: string,
  server: AbortServer,
  quiet: boolean,
): Promise<number> {
  try {
    const { result, left } = await abortResume(path, server);
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
