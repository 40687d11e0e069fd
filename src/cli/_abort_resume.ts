/**
 * `--abort-resume FILE`: discards the upload a checkpoint file records, for
 * when it will not be resumed (its inputs changed, or it is no longer wanted).
 *
 * @module
 */

import {
  AbortMultipartUploadCommand,
  ListPartsCommand,
} from "@aws-sdk/client-s3";
import { CliError, EXIT_FAILURE, findCliError } from "./_cli_error.ts";
import { writeLine } from "./_progress.ts";
import { readCheckpointFile } from "./_resume_file.ts";
import { s3Client } from "./_s3_client.ts";

/** What `--abort-resume` did, for its one line of output. */
export interface AbortedResume {
  target: string;
  uploadId: string;
  /** False when the server no longer had the upload (completed, aborted or expired). */
  existed: boolean;
}

/**
 * Aborts the multipart upload FILE records, checks with ListParts that it is
 * gone, then removes FILE and FILE.entries.
 *
 * @throws {CliError} FILE cannot be read, or the server refused the abort.
 */
export async function abortResume(
  path: string,
  endpoint: string | undefined,
  region: string | undefined,
): Promise<AbortedResume> {
  const checkpoint = await readCheckpointFile(path);
  const { bucket, key, uploadId } = checkpoint;
  const target = `s3://${bucket}/${key}`;
  const client = await s3Client(endpoint, region);
  const input = { Bucket: bucket, Key: key, UploadId: uploadId };
  let existed = true;
  try {
    await client.send(new AbortMultipartUploadCommand(input));
    // S3 documents that a part still arriving may outlive one abort.
    await client.send(new ListPartsCommand(input)).then(
      () => client.send(new AbortMultipartUploadCommand(input)),
      () => {},
    );
  } catch (error) {
    if ((error as { name?: unknown }).name === "NoSuchUpload") {
      existed = false;
    } else {
      throw new CliError(
        `Cannot abort upload ID ${uploadId} of ${target} recorded in ${path}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
  } finally {
    client.destroy();
  }
  for (const file of [path, `${path}.entries`]) {
    await Deno.remove(file).catch(() => {});
  }
  return { target, uploadId, existed };
}

/** `zipstream --abort-resume FILE`: aborts, prints one line, returns the exit code. */
export async function runAbortResume(
  path: string,
  endpoint: string | undefined,
  region: string | undefined,
  quiet: boolean,
): Promise<number> {
  try {
    const { target, uploadId, existed } = await abortResume(
      path,
      endpoint,
      region,
    );
    if (!quiet) {
      writeLine(
        existed
          ? `zipstream: aborted upload ID ${uploadId} of ${target} and removed ${path}`
          : `zipstream: upload ID ${uploadId} of ${target} no longer existed; removed ${path}`,
      );
    }
    return 0;
  } catch (error) {
    const known = findCliError(error);
    writeLine(
      `zipstream: ${
        known?.message ?? (error instanceof Error ? error.message : error)
      }`,
    );
    return known?.exitCode ?? EXIT_FAILURE;
  }
}
