/**
 * The plain-JSON records of an archive written by several workers: the
 * plan of its segments (`planSegments`), one job per segment
 * (`buildSegment`), and what each job wrote (`finishSegments` joins them).
 * Each is a JSON value, so a job queue, a step function or a file can carry
 * it as it is.
 *
 * @module
 */

import type { WrittenEntry } from "../zip/written_entry.ts";

/** A JSON value: what a segment entry's `source` may be. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * One member of a segmented archive: a `ZipEntry` whose data is named by
 * `source`, a JSON value the job's `open` function turns into bytes. The
 * built-in sources are `{ "s3": { "bucket": …, "key": … } }`, an S3 object
 * read with the job's client, and `{ "text": … }`, a UTF-8 string.
 *
 * @example An object, a text, an empty folder
 * ```ts
 * import type { SegmentEntry } from "@zipstream/zipstream/segments";
 *
 * const entries: SegmentEntry[] = [
 *   { name: "logs/a.log", source: { s3: { bucket: "b", key: "logs/a.log" } }, size: 812 },
 *   { name: "README.txt", source: { text: "Logs of 2026." } },
 *   { name: "empty/" },
 * ];
 * ```
 */
export interface SegmentEntry {
  /** The member's name, as in `ZipEntry`. */
  name: string;
  /** Where its bytes come from; absent for a directory or an empty file. */
  source?: JsonValue;
  /** Its size in bytes, when known: it sizes the segments, and is checked. */
  size?: number;
  /** Its CRC-32, when known (stored entries then need no data descriptor). */
  crc32?: number;
  /** Milliseconds since the epoch. @default {the plan's `lastModified`} */
  lastModified?: number;
  /** Unix mode, as in `ZipEntry`. */
  mode?: number;
  /** `"store"` or `"deflate"`. @default {the plan's `compression`} */
  compression?: "store" | "deflate";
  /** Deflate level. @default {the plan's `level`} */
  level?: number;
  /** The member's comment. */
  comment?: string;
}

/** The archive-wide options every segment is written with. */
export interface SegmentArchiveOptions {
  /** @default {"deflate"} */
  compression?: "store" | "deflate";
  /** @default {6} */
  level?: number;
  /** Fixed at planning, so that every worker writes the same times. */
  lastModified: number;
  /** The archive comment. */
  comment?: string;
  /** The time zone of the entries' DOS times. @default {"UTC"} */
  timeZone?: string;
}

/** One segment's work: whole entries, written by one worker into one object. */
export interface SegmentJob {
  /** The format's version: 1. */
  version: 1;
  /** The build this segment belongs to. */
  build: string;
  /** The segment's position, from 0. */
  index: number;
  /** How many segments the build has. */
  count: number;
  /** The bucket of the archive and of its segments. */
  bucket: string;
  /** Where the segment is written, a temporary object under the build's prefix. */
  segmentKey: string;
  /** The segment's entries, in archive order. */
  entries: SegmentEntry[];
  /** The archive's options. */
  options: SegmentArchiveOptions;
}

/** A build: the archive's target and its segments' jobs. */
export interface SegmentPlan {
  /** The format's version: 1. */
  version: 1;
  /** A random ID naming the build and its temporary objects' prefix. */
  build: string;
  /** The archive's bucket. */
  bucket: string;
  /** The archive's key. */
  key: string;
  /** Where the segments live until the archive is built. */
  segmentPrefix: string;
  /** One job per segment, in archive order. */
  jobs: SegmentJob[];
}

/** What a job wrote: its object, and where each entry lies in it. */
export interface SegmentResult {
  /** The format's version: 1. */
  version: 1;
  /** The build. */
  build: string;
  /** The segment's position. */
  index: number;
  /** The segment's object. */
  segmentKey: string;
  /** Its length in bytes. */
  length: number;
  /** Its ETag, as S3 gave it. */
  etag: string;
  /** Each entry as written, offsets from the segment's start. */
  entries: WrittenEntry[];
  /**
   * The targets of the segment's symbolic links, by name: the central
   * directory is written from them, as `zip()` checks a link's target.
   */
  links: Record<string, string>;
}
