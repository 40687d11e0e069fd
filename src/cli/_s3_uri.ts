/**
 * An `s3://bucket/prefix/` or `s3://bucket/key` path argument: a source of
 * entries read from S3.
 *
 * @module
 */

import { UsageError } from "./_cli_error.ts";

/** The bucket and the key or prefix a path argument names. */
export interface S3Uri {
  bucket: string;
  /** `""` for the whole bucket; ends in `/` for a folder, else an object or a folder. */
  key: string;
}

/** Whether a path argument names S3 objects rather than local files. */
export function isS3Uri(path: string): boolean {
  return /^s3:\/\//i.test(path);
}

/** Splits `s3://bucket/key`, or throws a {@linkcode UsageError} saying what it expected. */
export function parseS3Uri(path: string): S3Uri {
  const rest = path.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? "" : rest.slice(slash + 1);
  if (bucket === "") {
    throw new UsageError(
      `Invalid S3 path "${path}": expected s3://bucket/prefix/ or s3://bucket/key, such as s3://photos/2024/`,
    );
  }
  return { bucket, key };
}
