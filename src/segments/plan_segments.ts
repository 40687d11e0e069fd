/**
 * `planSegments()`: an archive's entries cut into segments of whole
 * entries, one job each, for workers to write side by side.
 *
 * @module
 */

import { describeValue } from "../_errors.ts";
import type {
  SegmentArchiveOptions,
  SegmentEntry,
  SegmentJob,
  SegmentPlan,
} from "./segment_job.ts";

const MIB = 1024 * 1024;
/** Segments of about this many input bytes, by default. */
const DEFAULT_SEGMENT_BYTES = 256 * MIB;
/** At most this many entries a segment, by default, however small. */
const DEFAULT_SEGMENT_ENTRIES = 10_000;
/**
 * The archive is joined from its segments' objects in one multipart
 * upload of at most 10,000 parts; each segment takes at least one, and
 * one over 5 GiB takes more.
 */
const MAX_SEGMENTS = 5_000;

/** Where the archive goes, and how it is cut. */
export interface PlanSegmentsOptions extends Partial<SegmentArchiveOptions> {
  /** The archive's bucket; its segments are written there too. */
  bucket: string;
  /** The archive's key. */
  key: string;
  /**
   * Input bytes per segment: entries are added to a segment until their
   * sizes reach this. An entry is never split, so a segment holds at least
   * one; entries of unknown size count for nothing but their place.
   *
   * @default {268435456} (256 MiB)
   */
  segmentBytes?: number;
  /**
   * Entries per segment, at most.
   *
   * @default {10000}
   */
  segmentEntries?: number;
  /**
   * The build's ID, which names the prefix of its temporary objects.
   *
   * @default {random}
   */
  build?: string;
}

/**
 * Cuts an archive's entries into segments of whole entries, in order, each
 * a {@linkcode SegmentJob} that `buildSegment` writes (anywhere: another
 * process, another machine) as a temporary object under
 * `<key>.zipstream-segments/<build>/`. `finishSegments` then joins the
 * objects into the archive and writes its central directory. The archive
 * is byte-identical to `zip()` of the same entries with the same options,
 * however many segments there are and whoever writes them.
 *
 * Everything here is plain JSON. The time entries without their own get is
 * fixed now (`lastModified`), so that every worker writes the same bytes.
 *
 * @param entries The archive's members, in order.
 * @param options The target, and how big segments are.
 * @returns The plan: its build ID and one job per segment.
 * @throws {TypeError} for an entry or option of the wrong type, or two
 * entries of one name.
 * @throws {RangeError} when the archive would have more than 5,000
 * segments.
 *
 * @example Three logs in segments of 1 MiB
 * ```ts
 * import assert from "node:assert/strict";
 * import { planSegments } from "@zipstream/zipstream/segments";
 *
 * const plan = planSegments(
 *   ["a", "b", "c"].map((name) => ({
 *     name: `${name}.log`,
 *     source: { s3: { bucket: "logs", key: `2026/${name}.log` } },
 *     size: 700 * 1024,
 *   })),
 *   { bucket: "archives", key: "2026.zip", segmentBytes: 1024 * 1024 },
 * );
 * assert.deepEqual(plan.jobs.map((job) => job.entries.length), [2, 1]);
 * assert.ok(plan.jobs[0]!.segmentKey.startsWith("2026.zip.zipstream-segments/"));
 * ```
 */
export function planSegments(
  entries: Iterable<SegmentEntry>,
  options: PlanSegmentsOptions,
): SegmentPlan {
  const fail = (name: string, expected: string, value: unknown): never => {
    throw new TypeError(
      `Cannot plan the segments: expected option "${name}" to be ${expected} but got ${
        describeValue(value)
      }`,
    );
  };
  if (typeof options !== "object" || options === null) {
    fail("options", "an object with bucket and key", options);
  }
  const {
    bucket,
    key,
    segmentBytes = DEFAULT_SEGMENT_BYTES,
    segmentEntries = DEFAULT_SEGMENT_ENTRIES,
    build = crypto.randomUUID().slice(0, 8),
    compression = "deflate",
    level = 6,
    lastModified = Date.now(),
    comment,
    timeZone,
  } = options;
  if (typeof bucket !== "string" || bucket === "") {
    fail("bucket", "a non-empty string", bucket);
  }
  if (typeof key !== "string" || key === "") {
    fail("key", "a non-empty string", key);
  }
  for (
    const [name, value] of [["segmentBytes", segmentBytes], [
      "segmentEntries",
      segmentEntries,
    ]] as const
  ) {
    if (!Number.isSafeInteger(value) || value < 1) {
      fail(name, "a positive integer", value);
    }
  }
  if (typeof build !== "string" || !/^[0-9A-Za-z_-]{1,64}$/.test(build)) {
    fail("build", "1 to 64 letters, digits, _ or -", build);
  }
  if (!Number.isFinite(lastModified)) {
    fail("lastModified", "milliseconds since the epoch", lastModified);
  }
  const archive: SegmentArchiveOptions = {
    compression,
    level,
    lastModified,
    ...(comment === undefined ? {} : { comment }),
    ...(timeZone === undefined ? {} : { timeZone }),
  };
  const segmentPrefix = `${key}.zipstream-segments/${build}/`;
  const groups: SegmentEntry[][] = [];
  const names = new Set<string>();
  let group: SegmentEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    checkEntry(entry, names);
    if (
      group.length > 0 &&
      (bytes >= segmentBytes || group.length >= segmentEntries)
    ) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(entry);
    bytes += entry.size ?? 0;
  }
  if (group.length > 0) groups.push(group);
  if (groups.length > MAX_SEGMENTS) {
    throw new RangeError(
      `Cannot plan the segments: expected at most ${MAX_SEGMENTS} segments (one upload joins them) but these entries make ${groups.length}; raise segmentBytes or segmentEntries`,
    );
  }
  const jobs = groups.map((entries, index): SegmentJob => ({
    version: 1,
    build,
    index,
    count: groups.length,
    bucket,
    segmentKey: `${segmentPrefix}${String(index).padStart(5, "0")}`,
    entries,
    options: archive,
  }));
  return { version: 1, build, bucket, key, segmentPrefix, jobs };
}

function checkEntry(entry: SegmentEntry, names: Set<string>): void {
  if (typeof entry !== "object" || entry === null) {
    throw new TypeError(
      `Cannot plan the segments: expected each entry to be an object with a name but got ${
        describeValue(entry)
      }`,
    );
  }
  const { name, size } = entry;
  if (typeof name !== "string" || name === "") {
    throw new TypeError(
      `Cannot plan the segments: expected each entry's name to be a non-empty string but got ${
        describeValue(name)
      }`,
    );
  }
  if (names.has(name)) {
    throw new TypeError(
      `Cannot plan the segments: expected each name once but "${name}" is given twice`,
    );
  }
  names.add(name);
  if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) {
    throw new TypeError(
      `Cannot plan the segments: expected the size of "${name}" to be a non-negative integer but got ${
        describeValue(size)
      }`,
    );
  }
  try {
    JSON.stringify(entry);
  } catch (error) {
    throw new TypeError(
      `Cannot plan the segments: expected "${name}" to be plain JSON, but it cannot be written as JSON`,
      { cause: error },
    );
  }
}
