/**
 * The checkpoint `--resume` keeps: one JSON object, in FILE or in the
 * object `s3://bucket/key` (see `_checkpoint_store.ts`):
 *
 * ```json
 * { "zipstream": "resume", "version": 1, "target": "s3://bucket/key",
 *   "endpoint": "http://127.0.0.1:8080", "region": "us-east-1",
 *   "archive": { "compression": "store", "level": 0, "comment": null,
 *                "entries": 1200, "inputs": "<sha-256 of the inputs' names, sizes, times, modes>" },
 *   "upload": { <UploadCheckpoint: upload ID, part plan, completed parts> } }
 * ```
 *
 * With `-e`, it also holds `"encryption": { "saltKey", "check" }` (see
 * `_resume_encryption.ts`), never the password.
 *
 * `endpoint` and `region` are the `--endpoint` and `--region` the run was
 * given, absent when it was not (files of earlier versions have neither):
 * `--abort-resume FILE` reaches the same server without being told again.
 *
 * @module
 */

import { parseUploadCheckpoint } from "../s3/upload_checkpoint.ts";
import type { UploadCheckpoint } from "../s3/upload_checkpoint.ts";
import { CliError } from "./_cli_error.ts";
import type { CheckpointStore } from "./_checkpoint_store.ts";
import {
  isRecordedEncryption,
  type RecordedEncryption,
} from "./_resume_encryption.ts";
import { reason } from "./_walk.ts";

export const FORMAT = "resume";
export const VERSION = 1;

/** What must be the same for an archive to come out byte for byte the same. */
export interface ArchiveIdentity {
  compression: string;
  level: number;
  comment: string | null;
  entries: number;
  /** A SHA-256 of every input's name, kind, size, time and mode, in order. */
  inputs: string;
}

/** The checkpoint as saved. */
export interface StoredResume {
  zipstream: typeof FORMAT;
  version: typeof VERSION;
  target: string;
  endpoint?: string;
  region?: string;
  archive: ArchiveIdentity;
  encryption?: RecordedEncryption;
  upload: UploadCheckpoint;
}

/** What `--abort-resume` needs of FILE: the upload, and the server it is on. */
export type RecordedUpload = Pick<
  StoredResume,
  "upload" | "endpoint" | "region"
>;

/** The upload `store` records and its server, for `--abort-resume`. */
export async function readRecordedUpload(
  store: CheckpointStore,
): Promise<RecordedUpload> {
  const stored = await readStored(store);
  if (stored === undefined) {
    throw new CliError(
      `Cannot abort the upload recorded in ${store.name}: ${
        store.name.startsWith("s3://") ? "the object" : "the file"
      } does not exist`,
    );
  }
  return stored;
}

/**
 * The checkpoint `store` holds, checked to be one zipstream wrote, or
 * `undefined` when there is none.
 *
 * @throws {CliError} It cannot be read, or is not a checkpoint.
 */
export async function readStored(
  store: CheckpointStore,
): Promise<StoredResume | undefined> {
  const path = store.name;
  const text = await store.readCheckpoint();
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<StoredResume>;
    const problem = problemOf(value);
    if (problem !== undefined) {
      throw new TypeError(
        `expected a zipstream resume file of version ${VERSION}, but ${problem}`,
      );
    }
    parseUploadCheckpoint(value.upload);
    return value as StoredResume;
  } catch (error) {
    throw new CliError(
      `Cannot resume from ${path}: it is not a checkpoint zipstream wrote (${
        reason(error)
      }); give another --resume FILE, or delete it to start over`,
      { cause: error },
    );
  }
}

/** How the checkpoint differs from this run's target and options, one clause each. */
export function describeDifferences(
  stored: StoredResume,
  target: string,
  archive: ArchiveIdentity,
  partSize: number | undefined,
): string[] {
  const differences: string[] = [];
  if (stored.target !== target) {
    differences.push(`target ${stored.target}, now ${target}`);
  }
  const before = stored.archive;
  if (before.entries !== archive.entries) {
    differences.push(`${before.entries} entries, now ${archive.entries}`);
  } else if (before.inputs !== archive.inputs) {
    differences.push("the inputs' names, sizes, times or modes changed");
  }
  if (
    before.compression !== archive.compression || before.level !== archive.level
  ) {
    differences.push(
      `${before.compression} at level ${before.level}, now ${archive.compression} at level ${archive.level}`,
    );
  }
  if (before.comment !== archive.comment) {
    differences.push("another --comment");
  }
  if (partSize !== undefined && partSize !== stored.upload.partSize) {
    differences.push(
      `--part-size ${stored.upload.partSize}, now ${partSize}`,
    );
  }
  return differences;
}

/** What is wrong with a parsed checkpoint's fields, or `undefined`. */
function problemOf(value: Partial<StoredResume>): string | undefined {
  if (typeof value !== "object" || value === null) return "it is no object";
  if (value.zipstream !== FORMAT || value.version !== VERSION) {
    return `it is not marked "zipstream": "${FORMAT}", "version": ${VERSION}`;
  }
  if (typeof value.target !== "string") return "its target is no string";
  if (!optionalString(value.endpoint) || !optionalString(value.region)) {
    return "its endpoint or region is no string";
  }
  if (!isRecordedEncryption(value.encryption)) {
    return "its encryption record is malformed";
  }
  const archive = value.archive as Partial<ArchiveIdentity> | undefined;
  if (
    typeof archive !== "object" || archive === null ||
    typeof archive.compression !== "string" ||
    !Number.isInteger(archive.level) ||
    !(archive.comment === null || typeof archive.comment === "string") ||
    !Number.isSafeInteger(archive.entries) ||
    typeof archive.inputs !== "string"
  ) return "its archive record is malformed";
  return undefined;
}

function optionalString(value: unknown): boolean {
  return value === undefined || typeof value === "string";
}
