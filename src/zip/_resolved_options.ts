/**
 * `ZipOptions` checked and completed with their defaults.
 *
 * @module
 */

import { UINT16_MAX } from "./_constants.ts";
import { describeValue } from "../_errors.ts";
import { DosClock } from "./_dos_date_time.ts";
import {
  checkCompression,
  checkLevel,
  type EntryDefaults,
  epochMilliseconds,
} from "./_resolved_entry.ts";
import type { WorkerStatus, ZipOptions } from "./zip_options.ts";
import type { ResumePoint, WrittenEntry } from "./written_entry.ts";
import { encodeUtf8 } from "./_utf8.ts";
import { resolveEncryption } from "./_entry_encryption.ts";
import type { EntrySalts } from "./_entry_salts.ts";

const DEFAULT_LEVEL = 6;

/**
 * More deflate workers than this by default would cost each its memory (a
 * JavaScript isolate) for a gain that the caller's own thread, feeding them
 * and computing the CRC-32, soon caps.
 */
const MAX_DEFAULT_WORKERS = 4;

/** Each worker is a JavaScript isolate of its own: a typo must not start a thousand. */
export const MAX_WORKERS = 64;

/**
 * One worker per core, the calling thread having little else to do than feed
 * them; none on a single core, where a worker only adds copying.
 */
function defaultWorkers(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } })
    .navigator?.hardwareConcurrency;
  return typeof cores === "number" && cores >= 2
    ? Math.min(cores, MAX_DEFAULT_WORKERS)
    : 0;
}

/** Archive-wide settings, validated. */
export interface ResolvedOptions {
  readonly defaults: EntryDefaults;
  readonly commentBytes: Uint8Array;
  readonly onEntry: ((entry: WrittenEntry) => void) | undefined;
  readonly onWorkers: ((status: WorkerStatus) => void) | undefined;
  /** The first archive byte to emit. */
  readonly resumeOffset: number;
  /** Records of entries that need not be read again, by name. */
  readonly resumeEntries: ReadonlyMap<string, WrittenEntry>;
  /** How many workers may compress deflate blocks; 0 for none. */
  readonly workers: number;
  /** Copy the caller's bytes that may be written to again before handing them on. */
  readonly copyChunks: boolean;
  /** Symbolic links may point outside the folder the archive is extracted into. */
  readonly allowEscapingSymlinks: boolean;
  /** Where the salts of encrypted entries come from. */
  readonly salts: EntrySalts;
}

/**
 * Checks every option at once, before any byte is written.
 *
 * @throws {TypeError} for an option of the wrong kind.
 * @throws {RangeError} for an option out of range.
 */
export function resolveOptions(options: ZipOptions = {}): ResolvedOptions {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot create the archive: expected options to be an object but received ${
        describeValue(options)
      }`,
    );
  }
  const {
    compression = "deflate",
    level = DEFAULT_LEVEL,
    comment = "",
    lastModified = Date.now(),
    onEntry,
    onWorkers,
    resume = { offset: 0 },
    workers = defaultWorkers(),
    copyChunks = true,
    timeZone = "UTC",
    allowEscapingSymlinks = false,
    password,
    encryption = "AE-2",
    saltKey,
  } = options;
  checkCallback("onEntry", onEntry);
  checkCallback("onWorkers", onWorkers);
  if (typeof copyChunks !== "boolean") {
    throw new TypeError(
      `Cannot create the archive: invalid option copyChunks: expected a boolean but received ${
        describeValue(copyChunks)
      }`,
    );
  }
  if (typeof allowEscapingSymlinks !== "boolean") {
    throw new TypeError(
      `Cannot create the archive: invalid option allowEscapingSymlinks: expected a boolean but received ${
        describeValue(allowEscapingSymlinks)
      }`,
    );
  }
  checkCompression(undefined, compression);
  checkLevel(undefined, level);
  if (typeof comment !== "string") {
    throw new TypeError(
      `Cannot create the archive: invalid option comment: expected a string but received ${
        describeValue(comment)
      }`,
    );
  }
  if (!comment.isWellFormed()) {
    throw new TypeError(
      "Cannot create the archive: invalid option comment: a comment cannot contain a lone UTF-16 surrogate",
    );
  }
  const commentBytes = encodeUtf8(comment);
  if (commentBytes.length > UINT16_MAX) {
    throw new RangeError(
      `Cannot create the archive: invalid option comment: expected at most ${UINT16_MAX} bytes of UTF-8 but received ${commentBytes.length}`,
    );
  }
  if (typeof workers !== "number") {
    throw new TypeError(
      `Cannot create the archive: invalid option workers: expected a number but received ${
        describeValue(workers)
      }`,
    );
  }
  if (!Number.isSafeInteger(workers) || workers < 0 || workers > MAX_WORKERS) {
    throw new RangeError(
      `Cannot create the archive: invalid option workers: expected an integer from 0 to ${MAX_WORKERS} but received ${
        describeValue(workers)
      }`,
    );
  }
  const { resumeOffset, resumeEntries } = resolveResume(resume);
  const encrypted = resolveEncryption(
    { password, encryption, saltKey },
    resumeOffset,
  );
  return {
    salts: encrypted.salts,
    workers,
    copyChunks,
    allowEscapingSymlinks,
    onEntry,
    onWorkers,
    resumeOffset,
    resumeEntries,
    defaults: {
      compression,
      level,
      lastModified: epochMilliseconds(undefined, lastModified),
      clock: dosClock(timeZone),
      encryption: encrypted.encryption,
      aesVersion: encrypted.aesVersion,
      entryPasswords: { last: undefined },
    },
    commentBytes,
  };
}

function checkCallback(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "function") {
    throw new TypeError(
      `Cannot create the archive: invalid option ${name}: expected a function but received ${
        describeValue(value)
      }`,
    );
  }
}

function resolveResume(
  resume: ResumePoint,
): { resumeOffset: number; resumeEntries: Map<string, WrittenEntry> } {
  if (typeof resume !== "object" || resume === null) {
    throw new TypeError(
      `Cannot create the archive: invalid option resume: expected an object but received ${
        describeValue(resume)
      }`,
    );
  }
  const { offset, entries = [] } = resume;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RangeError(
      `Cannot create the archive: invalid option resume.offset: expected a non-negative safe integer but received ${
        describeValue(offset)
      }`,
    );
  }
  const resumeEntries = new Map<string, WrittenEntry>();
  for (const entry of entries) resumeEntries.set(entry.name, entry);
  return { resumeOffset: offset, resumeEntries };
}

function dosClock(timeZone: unknown): DosClock {
  if (typeof timeZone !== "string") {
    throw new TypeError(
      `Cannot create the archive: invalid option timeZone: expected a string ("UTC", "local" or an IANA name) but received ${
        describeValue(timeZone)
      }`,
    );
  }
  try {
    return new DosClock(timeZone);
  } catch (cause) {
    throw new RangeError(
      `Cannot create the archive: invalid option timeZone: expected "UTC", "local" or an IANA time zone this runtime knows but received ${
        JSON.stringify(timeZone)
      }`,
      { cause },
    );
  }
}
