/**
 * The manifest `zipstream plan` writes and `zipstream serve --manifest`
 * reads: a planned archive described completely, so that serving it reads
 * no data before a request asks for some. JSON:
 *
 * ```json
 * { "zipstream": "manifest", "version": 1,
 *   "lastModified": "1980-01-01T00:00:00.000Z", "timeZone": "UTC",
 *   "size": 190, "etag": "\"zs1-…\"",
 *   "entries": [
 *     { "name": "docs/", "size": 0, "crc32": "00000000",
 *       "lastModified": "2026-01-02T03:04:05.000Z", "mode": "755" },
 *     { "name": "docs/a.txt", "size": 5, "crc32": "3610a686",
 *       "lastModified": "2026-01-02T03:04:05.000Z", "mode": "644",
 *       "source": { "file": "/data/docs/a.txt",
 *                   "mtime": "2026-01-02T03:04:05.000Z", "inode": 1234 } },
 *     { "name": "docs/latest", "size": 5, "crc32": "…", "mode": "120777", …,
 *       "source": { "symlink": "a.txt" } },
 *     { "name": "q1.csv", …, "source": { "s3": { "bucket": "b",
 *       "key": "reports/q1.csv", "etag": "\"9b2c…\"" } } } ] }
 * ```
 *
 * Times are ISO 8601 in UTC, CRCs eight hex digits, modes octal. An entry
 * without `source` is a directory. `comment` (archive or entry) and
 * `allowEscapingSymlinks` appear when set; S3 sources have `versionId` for
 * a version. `size` and `etag` are the plan's: a manifest whose entries
 * give another archive is refused.
 *
 * @module
 */

import type { PlanEntry } from "../zip/plan_entry.ts";
import type { ZipPlan } from "../zip/zip_plan.ts";
import { CliError } from "./_cli_error.ts";
import { formatCrc, parseCrc } from "./_crc_text.ts";
import { FileRangedSource, type FileVersion } from "./_file_ranged_source.ts";

const FORMAT = "manifest";
const VERSION = 1;

/** What the archive is made of besides its entries. */
export interface ArchiveOptions {
  comment: string | undefined;
  /** The time of entries that have none. */
  lastModified: number;
  timeZone: string;
  allowEscapingSymlinks: boolean;
}

/** An S3 object as a manifest records it. */
export interface S3Version {
  bucket: string;
  key: string;
  etag: string;
  versionId: string | undefined;
}

/** Where an entry's bytes come from. */
export type EntryOrigin =
  | { kind: "file"; version: FileVersion }
  | { kind: "s3"; object: S3Version }
  | { kind: "symlink"; target: string }
  | { kind: "directory" };

/** One entry as the manifest records it. */
export interface ManifestEntry {
  name: string;
  size: number;
  crc32: number;
  lastModified: number;
  mode: number | undefined;
  comment: string | undefined;
  origin: EntryOrigin;
}

/** A manifest read back. */
export interface Manifest {
  options: ArchiveOptions;
  /** The plan's size and ETag when the manifest was written, when it says. */
  size: number | undefined;
  etag: string | undefined;
  entries: ManifestEntry[];
}

/**
 * The manifest of `plan`, made of `entries` (in the plan's order) with
 * `options`, as the text of a JSON file.
 *
 * @param originOf where an entry's data comes from: a file or S3 object
 * source, a link's target, or nothing for a directory
 */
export function manifestText(
  plan: ZipPlan,
  entries: readonly PlanEntry[],
  options: ArchiveOptions,
  originOf: (entry: PlanEntry) => EntryOrigin,
): string {
  const records = plan.entries.map((planned, index) => {
    const entry = entries[index]!;
    const origin = originOf(entry);
    return {
      name: planned.name,
      size: planned.size,
      crc32: formatCrc(planned.crc32),
      lastModified: new Date(planned.lastModified).toISOString(),
      ...(entry.mode === undefined ? {} : { mode: entry.mode.toString(8) }),
      ...(entry.comment === undefined ? {} : { comment: entry.comment }),
      ...(origin.kind === "directory" ? {} : { source: sourceRecord(origin) }),
    };
  });
  const manifest = {
    zipstream: FORMAT,
    version: VERSION,
    ...(options.comment === undefined ? {} : { comment: options.comment }),
    lastModified: new Date(options.lastModified).toISOString(),
    timeZone: options.timeZone,
    ...(options.allowEscapingSymlinks ? { allowEscapingSymlinks: true } : {}),
    size: plan.size,
    etag: plan.etag,
    entries: records,
  };
  return `${JSON.stringify(manifest, null, 1)}\n`;
}

function sourceRecord(origin: Exclude<EntryOrigin, { kind: "directory" }>) {
  switch (origin.kind) {
    case "file": {
      const { path, mtime, inode } = origin.version;
      return {
        file: path,
        ...(mtime === undefined
          ? {}
          : { mtime: new Date(mtime).toISOString() }),
        ...(inode === undefined ? {} : { inode }),
      };
    }
    case "s3": {
      const { bucket, key, etag, versionId } = origin.object;
      return {
        s3: {
          bucket,
          key,
          etag,
          ...(versionId === undefined ? {} : { versionId }),
        },
      };
    }
    case "symlink":
      return { symlink: origin.target };
  }
}

/** The origin of an entry the CLI made: its data's kind says. */
export function originOf(entry: PlanEntry): EntryOrigin {
  const { data } = entry;
  if (data instanceof FileRangedSource) {
    return { kind: "file", version: data.version };
  }
  if (typeof data === "string") return { kind: "symlink", target: data };
  if (data === undefined) return { kind: "directory" };
  // By shape, not instanceof S3RangedSource: importing the class would load
  // the AWS SDK into every run of the CLI, which loads it only for s3://.
  const object = data as Partial<S3Version> & { versionId?: string };
  if (typeof object.bucket === "string" && typeof object.etag === "string") {
    return {
      kind: "s3",
      object: {
        bucket: object.bucket,
        key: object.key ?? "",
        etag: object.etag,
        versionId: object.versionId,
      },
    };
  }
  throw new TypeError(
    `Cannot record "${entry.name}" in a manifest: its data is neither a file, an S3 object, a link's target nor absent`,
  );
}

/** Where a manifest's values are checked: the file, for messages. */
class Reader {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  fail(where: string, expected: string, received: unknown): never {
    throw new CliError(
      `Invalid manifest "${this.#path}": ${where}: expected ${expected} but got ${
        JSON.stringify(received) ?? String(received)
      }`,
    );
  }

  object(where: string, value: unknown): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(where, "an object", value);
    }
    return value as Record<string, unknown>;
  }

  string(where: string, value: unknown): string {
    if (typeof value !== "string") this.fail(where, "a string", value);
    return value as string;
  }

  optionalString(where: string, value: unknown): string | undefined {
    return value === undefined ? undefined : this.string(where, value);
  }

  count(where: string, value: unknown): number {
    if (!Number.isSafeInteger(value) || (value as number) < 0) {
      this.fail(where, "a whole number", value);
    }
    return value as number;
  }

  time(where: string, value: unknown): number {
    const time = typeof value === "string" ? Date.parse(value) : NaN;
    if (Number.isNaN(time)) {
      this.fail(
        where,
        'an ISO 8601 time such as "2026-01-02T03:04:05.000Z"',
        value,
      );
    }
    return time;
  }
}

/**
 * Reads a manifest written by {@linkcode manifestText}.
 *
 * @throws {CliError} naming `path`, the entry and the field that is wrong
 */
export function parseManifest(text: string, path: string): Manifest {
  const read = new Reader(path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `Invalid manifest "${path}": it is not JSON (${
        (error as Error).message
      })`,
    );
  }
  const top = read.object("the file", parsed);
  if (top.zipstream !== FORMAT) {
    read.fail('"zipstream"', `"${FORMAT}"`, top.zipstream);
  }
  if (top.version !== VERSION) {
    read.fail('"version"', `${VERSION}`, top.version);
  }
  if (!Array.isArray(top.entries)) {
    read.fail('"entries"', "an array", top.entries);
  }
  const options: ArchiveOptions = {
    comment: read.optionalString('"comment"', top.comment),
    lastModified: read.time('"lastModified"', top.lastModified),
    timeZone: read.string('"timeZone"', top.timeZone),
    allowEscapingSymlinks: top.allowEscapingSymlinks === true,
  };
  const entries = (top.entries as unknown[]).map((value, index) =>
    readEntry(read, `entry ${index + 1}`, value)
  );
  return {
    options,
    size: top.size === undefined ? undefined : read.count('"size"', top.size),
    etag: read.optionalString('"etag"', top.etag),
    entries,
  };
}

function readEntry(read: Reader, at: string, value: unknown): ManifestEntry {
  const entry = read.object(at, value);
  const name = read.string(`${at}, "name"`, entry.name);
  const where = `${at} ("${name}")`;
  const crc32 = parseCrc(entry.crc32);
  if (crc32 === undefined) {
    read.fail(`${where}, "crc32"`, "eight hex digits", entry.crc32);
  }
  const mode = entry.mode === undefined
    ? undefined
    : readMode(read, where, entry.mode);
  const size = read.count(`${where}, "size"`, entry.size);
  return {
    name,
    size,
    crc32,
    lastModified: read.time(`${where}, "lastModified"`, entry.lastModified),
    mode,
    comment: read.optionalString(`${where}, "comment"`, entry.comment),
    origin: entry.source === undefined
      ? { kind: "directory" }
      : readOrigin(read, `${where}, "source"`, entry.source, size),
  };
}

function readMode(read: Reader, where: string, value: unknown): number {
  if (typeof value !== "string" || !/^[0-7]{1,6}$/.test(value)) {
    read.fail(`${where}, "mode"`, 'octal digits such as "644"', value);
  }
  return parseInt(value as string, 8);
}

function readOrigin(
  read: Reader,
  where: string,
  value: unknown,
  size: number,
): EntryOrigin {
  const source = read.object(where, value);
  if (source.file !== undefined) {
    return {
      kind: "file",
      version: {
        path: read.string(`${where}, "file"`, source.file),
        size,
        mtime: source.mtime === undefined
          ? undefined
          : read.time(`${where}, "mtime"`, source.mtime),
        inode: source.inode === undefined
          ? undefined
          : read.count(`${where}, "inode"`, source.inode),
      },
    };
  }
  if (source.s3 !== undefined) {
    const s3 = read.object(`${where}, "s3"`, source.s3);
    return {
      kind: "s3",
      object: {
        bucket: read.string(`${where}, "s3", "bucket"`, s3.bucket),
        key: read.string(`${where}, "s3", "key"`, s3.key),
        etag: read.string(`${where}, "s3", "etag"`, s3.etag),
        versionId: read.optionalString(
          `${where}, "s3", "versionId"`,
          s3.versionId,
        ),
      },
    };
  }
  if (source.symlink !== undefined) {
    return {
      kind: "symlink",
      target: read.string(`${where}, "symlink"`, source.symlink),
    };
  }
  return read.fail(where, 'one of "file", "s3" or "symlink"', value);
}
