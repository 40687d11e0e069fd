/**
 * The entries of a planned archive, from what `zipstream plan` and
 * `zipstream serve` are given: paths (walked as the main command walks
 * them) and `s3://` paths, or a manifest (ours or nginx mod_zip's); and the
 * plan made of them, with the CRC cache.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { planZip } from "../zip/plan_zip.ts";
import type { PlanEntry } from "../zip/plan_entry.ts";
import type { ZipPlan } from "../zip/zip_plan.ts";
import { messageOf } from "../_errors.ts";
import { CliError } from "./_cli_error.ts";
import type { CrcCacheFile } from "./_crc_cache_file.ts";
import { FileRangedSource, versionOf } from "./_file_ranged_source.ts";
import {
  type ArchiveOptions,
  type ManifestEntry,
  parseManifest,
} from "./_manifest.ts";
import { type ModZipLine, parseModZip } from "./_mod_zip_manifest.ts";
import type { PlanS3 } from "./_plan_s3.ts";
import { isS3Uri, parseS3Uri } from "./_s3_uri.ts";
import {
  collectInputs,
  type InputItem,
  reason,
  type WalkOptions,
} from "./_walk.ts";

const SYMLINK_TYPE = 0o120000;

/**
 * The time of entries that have none (and of an empty archive): fixed, not
 * the time of the run, so that the same sources give the same archive and
 * ETag in every run. 1980-01-01, the first time a ZIP header can hold.
 */
export const DEFAULT_LAST_MODIFIED = Date.UTC(1980, 0, 1);

/**
 * The entries of `paths` in argument order: local paths walked together (so
 * that the walk's rules for a file given twice apply among them), each
 * file's version taken by `stat`; `s3://` paths listed with `s3`.
 *
 * @throws {CliError} naming a path that cannot be read or listed
 */
export async function entriesOfPaths(
  paths: readonly string[],
  walk: WalkOptions,
  s3: PlanS3,
): Promise<PlanEntry[]> {
  const entries: PlanEntry[] = [];
  let local: string[] = [];
  const walkLocal = async () => {
    if (local.length === 0) return;
    for (const item of await collectInputs(local, walk)) {
      entries.push(await entryOfItem(item));
    }
    local = [];
  };
  for (const path of paths) {
    if (isS3Uri(path)) {
      await walkLocal();
      entries.push(...await s3.entries(path));
    } else {
      local.push(path);
    }
  }
  await walkLocal();
  return entries;
}

async function entryOfItem(item: InputItem): Promise<PlanEntry> {
  // The command line refuses "-" before the walk.
  if (item.kind === "stdin") {
    throw new Error("Standard input cannot be planned");
  }
  const time = item.mtime === undefined ? {} : { lastModified: item.mtime };
  switch (item.kind) {
    case "directory":
      return { name: item.name, mode: item.mode, ...time };
    case "symlink":
      return {
        name: item.name,
        data: item.target,
        mode: SYMLINK_TYPE | item.mode,
        ...time,
      };
    case "file": {
      // Stat again for the inode, which the walk does not keep; the time is
      // the version's, so that the entry says what is read.
      const version = versionOf(
        item.path,
        await statFile(item.path, "Cannot add"),
      );
      return {
        name: item.name,
        data: new FileRangedSource(version),
        mode: item.mode,
        ...(version.mtime === undefined ? {} : { lastModified: version.mtime }),
      };
    }
  }
}

/** A manifest's entries, its options and the plan it recorded, when it is ours. */
export interface ManifestInput {
  entries: PlanEntry[];
  /** `undefined` for mod_zip's format, which has none. */
  options: ArchiveOptions | undefined;
  /** The size and ETag the manifest says its plan had. */
  expected: { size: number | undefined; etag: string | undefined } | undefined;
}

/**
 * Reads a manifest: ours (JSON, first non-space character `{`), whose
 * entries carry their sizes and CRCs so that no data is read, each file
 * checked by `stat` to be the version planned; or nginx mod_zip's lines,
 * whose locations are paths (relative to the manifest's folder) or
 * `s3://bucket/key`, each checked to have the size its line says.
 *
 * @throws {CliError} naming the manifest (and the line or entry) and the
 * cause
 */
export async function entriesOfManifest(
  path: string,
  s3: PlanS3,
): Promise<ManifestInput> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new CliError(`Cannot read the manifest "${path}": ${reason(error)}`, {
      cause: error,
    });
  }
  if (text.trimStart().startsWith("{")) {
    const manifest = parseManifest(text, path);
    const entries: PlanEntry[] = [];
    for (const entry of manifest.entries) {
      entries.push(await entryOfRecord(entry, s3));
    }
    return {
      entries,
      options: manifest.options,
      expected: { size: manifest.size, etag: manifest.etag },
    };
  }
  const lines = parseModZip(text, path);
  if (lines.length === 0) {
    throw new CliError(
      `Invalid manifest "${path}": expected JSON or lines "CRC32 SIZE LOCATION NAME" but it has neither`,
    );
  }
  const folder = dirname(resolve(path));
  const entries: PlanEntry[] = [];
  for (const line of lines) {
    entries.push(await entryOfLine(line, folder, path, s3));
  }
  return { entries, options: undefined, expected: undefined };
}

async function entryOfRecord(
  record: ManifestEntry,
  s3: PlanS3,
): Promise<PlanEntry> {
  const { name, crc32, lastModified, origin } = record;
  const entry: PlanEntry = {
    name,
    crc32,
    lastModified,
    ...(record.mode === undefined ? {} : { mode: record.mode }),
    ...(record.comment === undefined ? {} : { comment: record.comment }),
  };
  switch (origin.kind) {
    case "directory":
      return entry;
    case "symlink":
      return { ...entry, data: origin.target };
    case "s3":
      return {
        ...entry,
        data: await s3.recorded(origin.object, { size: record.size, crc32 }),
      };
    case "file": {
      const source = new FileRangedSource(origin.version);
      // Checked now too, so that a stale manifest fails at start rather than
      // at the first request; every read checks again.
      await source.checkUnchanged();
      return { ...entry, data: source };
    }
  }
}

async function entryOfLine(
  line: ModZipLine,
  folder: string,
  manifest: string,
  s3: PlanS3,
): Promise<PlanEntry> {
  const at = `Invalid manifest "${manifest}" line ${line.line}`;
  const crc = line.crc32 === undefined ? {} : { crc32: line.crc32 };
  const checkSize = (location: string, size: number) => {
    if (size !== line.size) {
      throw new CliError(
        `${at}: expected ${location} to hold ${line.size} bytes, as the line says, but it holds ${size}`,
      );
    }
  };
  if (isS3Uri(line.location)) {
    const { bucket, key } = parseS3Uri(line.location);
    const object = await s3.head(bucket, key).catch((error: unknown) => {
      throw new CliError(`${at}: ${messageOf(error)}`, { cause: error });
    });
    checkSize(line.location, object.size);
    return {
      name: line.name,
      data: object,
      ...crc,
      ...(object.lastModified === undefined
        ? {}
        : { lastModified: object.lastModified }),
    };
  }
  const path = resolve(folder, line.location);
  const info = await statFile(path, `${at}: cannot read`);
  checkSize(`"${path}"`, info.size);
  const version = versionOf(path, info);
  return {
    name: line.name,
    data: new FileRangedSource(version),
    ...crc,
    // As the walk gives them, so that a manifest of files and the files
    // themselves make the same archive.
    ...(version.mtime === undefined ? {} : { lastModified: version.mtime }),
    mode: info.mode === null ? 0o644 : info.mode & 0o7777,
  };
}

/**
 * `stat` of a regular file.
 *
 * @throws {CliError} `${cannot} "${path}": ${why}` when it cannot be read or
 * is not a regular file
 */
async function statFile(path: string, cannot: string): Promise<Deno.FileInfo> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new CliError(`${cannot} "${path}": ${reason(error)}`, {
      cause: error,
    });
  }
  if (!info.isFile) {
    throw new CliError(`${cannot} "${path}": it is not a regular file`);
  }
  return info;
}

/**
 * Plans the archive, taking CRCs from the entries, S3's checksums and
 * `cache`, reading the rest in parallel, and saves what `cache` learnt.
 *
 * @throws {CliError} naming the entry that could not be planned
 */
export async function buildPlan(
  entries: readonly PlanEntry[],
  options: ArchiveOptions,
  cache: CrcCacheFile | undefined,
): Promise<ZipPlan> {
  let plan: ZipPlan;
  try {
    plan = await planZip(entries, {
      ...(options.comment === undefined ? {} : { comment: options.comment }),
      lastModified: options.lastModified,
      timeZone: options.timeZone,
      allowEscapingSymlinks: options.allowEscapingSymlinks,
      ...(cache === undefined ? {} : { crcCache: cache }),
    });
  } catch (error) {
    // CRCs read before the failure are still worth keeping.
    await cache?.save().catch(() => {});
    throw new CliError(messageOf(error), { cause: error });
  }
  await cache?.save();
  return plan;
}
