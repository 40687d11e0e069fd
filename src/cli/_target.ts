/**
 * The `-o` argument: a file, standard output, or an S3 object; and what a
 * failed run left there, as checked, for the line that reports it.
 *
 * @module
 */

import { messageOf } from "../_errors.ts";
import { basename, resolve } from "node:path";
import { UsageError } from "./_cli_error.ts";

/** Where the archive is written. */
export type Target =
  | { kind: "file"; path: string }
  | { kind: "stdout" }
  | { kind: "s3"; bucket: string; key: string };

/**
 * Parses `FILE`, `-`, `s3://bucket/key` or `s3://bucket/folder/`. A key
 * ending in `/` gets the archive's name appended, as `aws s3 cp` appends
 * the file's: the base name of the single path in `inputs` plus `.zip`
 * (`inputs` is `undefined` when the paths come from standard input).
 */
export function parseTarget(
  output: string,
  inputs: readonly string[] | undefined,
): Target {
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
  if (bucket === "" || key === "" || /(^|\/)\/$/.test(key)) {
    throw new UsageError(
      `Invalid S3 output "${output}": expected s3://bucket/key with an object key such as s3://backups/site.zip, or s3://bucket/folder/`,
    );
  }
  if (!key.endsWith("/")) return { kind: "s3", bucket, key };
  return { kind: "s3", bucket, key: key + archiveName(output, inputs) };
}

/** `NAME.zip` for a folder target, from the single path archived. */
function archiveName(
  output: string,
  inputs: readonly string[] | undefined,
): string {
  const [input] = inputs ?? [];
  const base = inputs?.length === 1 && input !== undefined && input !== "-"
    ? baseName(input)
    : "";
  if (base === "") {
    const given = inputs === undefined
      ? "the paths come from standard input (-@)"
      : inputs.length === 1
      ? `the path is "${inputs[0]}"`
      : `${inputs.length} paths are given`;
    throw new UsageError(
      `Cannot name the archive in "${output}": a folder target takes its name from a single file or directory, but ${given}; give the key, such as ${output}archive.zip`,
    );
  }
  return `${base}.zip`;
}

/** The last segment of a local path or `s3://` URI, as resolved (`.` names the current directory). */
function baseName(path: string): string {
  if (/^s3:\/\//i.test(path)) {
    const segments = path.slice("s3://".length).split("/").filter(Boolean);
    return segments.at(-1) ?? "";
  }
  return basename(resolve(path));
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

/** What a failed write left at its target, as the sink checked it. */
export type Leftover =
  /** Nothing to report: no file was created, or the bytes went to a stream. */
  | { kind: "nothing" }
  /** The incomplete file this run created was removed, and is gone. */
  | { kind: "file-removed"; path: string }
  /** The incomplete file this run created could not be removed. */
  | { kind: "file-left"; path: string; reason: string }
  /**
   * A build on the queue gave up: what became of its jobs and segments, as
   * the queue and a listing showed.
   */
  | { kind: "segments"; account: string }
  /**
   * A single PutObject's answer was lost and HeadObject could not say
   * whether it stored the object; there is no multipart upload to abort.
   */
  | { kind: "object-unknown"; target: string }
  /** The server confirmed that nothing was stored and no upload remains. */
  | { kind: "upload-gone"; target: string; uploadId: string | undefined }
  /**
   * The multipart upload still exists: kept on purpose for `--resume FILE`
   * (`resumeFile`), or because its abort could not be confirmed.
   * `recorded` says whether the journal holds it for `zipstream cleanup`.
   */
  | {
    kind: "upload-pending";
    target: string;
    uploadId: string | undefined;
    resumeFile: string | undefined;
    recorded: boolean;
  };

/**
 * A failed write, with what it left at the target. Its message is the
 * failure's; `leftover` is for the line that follows it.
 */
export class OutputFailure extends Error {
  /** What the failed write left, as checked. */
  readonly leftover: Leftover;

  constructor(leftover: Leftover, cause: unknown) {
    super(messageOf(cause), { cause });
    this.name = "OutputFailure";
    this.leftover = leftover;
  }
}

/** The clause reporting a leftover, or `undefined` when there is nothing to say. */
export function describeLeftover(leftover: Leftover): string | undefined {
  switch (leftover.kind) {
    case "nothing":
      return undefined;
    case "file-removed":
      return `removed the incomplete ${leftover.path}`;
    case "file-left":
      return `could not remove the incomplete ${leftover.path} (${leftover.reason}): delete it`;
    case "upload-gone":
      return leftover.uploadId === undefined
        ? "nothing was stored"
        : `nothing was stored; the upload was aborted (upload ID ${leftover.uploadId})`;
    case "upload-pending":
      return describePending(leftover);
    case "segments":
      return leftover.account;
    case "object-unknown":
      return `no multipart upload was used, so none is left pending; look for ${leftover.target} before relying on it`;
  }
}

function describePending(
  leftover: Extract<Leftover, { kind: "upload-pending" }>,
): string {
  const { target, uploadId, resumeFile, recorded } = leftover;
  const upload = uploadId === undefined
    ? `the upload to ${target}`
    : `upload ID ${uploadId} of ${target}`;
  if (resumeFile !== undefined) {
    return `${upload} is pending, kept for --resume ${resumeFile}: run the same command again to resume it, or discard it with zipstream --abort-resume ${resumeFile}`;
  }
  const abort = recorded
    ? 'run "zipstream cleanup" to abort it'
    : `it is not in the journal: run "zipstream cleanup ${target} --older-than 1s" to abort it`;
  return `${upload} is still pending: it could not be shown gone; ${abort}`;
}
