/**
 * The `-o` argument: a file, standard output, or an S3 object.
 *
 * @module
 */

import { UsageError } from "./_cli_error.ts";

/** Where the archive is written. */
export type Target =
  | { kind: "file"; path: string }
  | { kind: "stdout" }
  | { kind: "s3"; bucket: string; key: string };

/** Parses `FILE`, `-` or `s3://bucket/key`. */
export function parseTarget(output: string): Target {
  if (output === "-") return { kind: "stdout" };
  if (output === "") {
    throw new UsageError(
      'Invalid output "": expected a file, - or s3://bucket/key',
    );
  }
  if (!/^s3:\/\//i.test(output)) return { kind: "file", path: output };
  const rest = output.slice("s3://".length);
  const slash = rest.indexOf("/");
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? "" : rest.slice(slash + 1);
  if (bucket === "" || key === "" || key.endsWith("/")) {
    throw new UsageError(
      `Invalid S3 output "${output}": expected s3://bucket/key with an object key such as s3://backups/site.zip`,
    );
  }
  return { kind: "s3", bucket, key };
}

/** The target as the user would write it, for messages. */
export function describeTarget(target: Target): string {
  switch (target.kind) {
    case "file":
      return target.path;
    case "stdout":
      return "standard output";
    case "s3":
      return `s3://${target.bucket}/${target.key}`;
  }
}
