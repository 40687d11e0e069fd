/**
 * The shape of one member of a planned archive, and the archive's options.
 *
 * @module
 */

import type { RangedSource } from "./ranged_source.ts";
import type { ZipEntry } from "./zip_entry.ts";
import type { ZipOptions } from "./zip_options.ts";

/**
 * The bytes of a planned entry: given whole (a string, encoded as UTF-8, or
 * bytes), a `Blob` (read by `slice`), or any {@linkcode RangedSource}.
 * Streams are not accepted: a plan must be able to read any range again.
 */
export type PlanEntryData =
  | string
  | Uint8Array
  | ArrayBuffer
  | Blob
  | RangedSource;

/**
 * One member of a planned archive: a {@linkcode ZipEntry} whose data can be
 * read at any offset. Every entry is stored (a plan must know every size
 * before reading), so there is no `compression` or `level`.
 *
 * @example A file, an empty folder and a link
 * ```ts
 * import assert from "node:assert/strict";
 * import { planZip, type PlanEntry } from "@zipstream/zipstream";
 *
 * const entries: PlanEntry[] = [
 *   { name: "docs/readme.txt", data: "Read me", crc32: 0xb4cf417d },
 *   { name: "empty/" },
 *   { name: "docs/latest", data: "readme.txt", mode: 0o120777 },
 * ];
 * const plan = await planZip(entries, { lastModified: 0 });
 * assert.deepEqual(plan.entries.map((entry) => entry.name), [
 *   "docs/readme.txt",
 *   "empty/",
 *   "docs/latest",
 * ]);
 * ```
 */
export interface PlanEntry
  extends Omit<ZipEntry, "data" | "compression" | "level" | "password"> {
  /** The member's bytes; absent (or empty) for a directory. */
  data?: PlanEntryData;
}

/**
 * Where CRCs computed by reading data are kept between plans, keyed by the
 * sources' identities (`RangedSource.identity`). A `Map<string, number>`
 * is one; the CLI keeps one in a sidecar file.
 */
export interface CrcCache {
  /** The CRC-32 recorded for `identity`, if any. */
  get(identity: string): number | undefined | Promise<number | undefined>;
  /** Records the CRC-32 of the source named `identity`. */
  set(identity: string, crc32: number): unknown;
}

/**
 * Options of {@linkcode planZip}: those of {@linkcode ZipOptions} that shape
 * a stored archive, and where CRCs come from.
 */
export interface PlanOptions extends
  Pick<
    ZipOptions,
    "comment" | "lastModified" | "timeZone" | "allowEscapingSymlinks"
  > {
  /**
   * Where to look up CRCs before reading data to compute them, and to
   * record those computed.
   */
  crcCache?: CrcCache;
  /**
   * How many ranges of data are read at once to compute missing CRCs.
   *
   * @default {4}
   */
  crcReadConcurrency?: number;
  /**
   * The length of the ranges a source's data is split into to compute its
   * CRC in parallel; the ranges' CRCs are joined with `crc32Combine`.
   *
   * @default {16 MiB}
   */
  crcRangeSize?: number;
  /**
   * Stops planning: the reads of data for CRCs are cancelled, and
   * `planZip` rejects with the signal's reason.
   */
  signal?: AbortSignal;
}
