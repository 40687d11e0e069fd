/**
 * How a planned archive is cut into the parts of a multipart upload when
 * the S3 objects in it can be copied server-side: which parts the client
 * sends (the glue: headers, objects too small to copy, the central
 * directory), which are ranges of objects copied with UploadPartCopy, and
 * which are seams, temporary objects made of an object's end and the glue
 * after it.
 *
 * Every part but the last must hold 5 MiB to 5 GiB, and the glue between
 * two objects is a local header of a few dozen bytes: it cannot be a part
 * of its own. The last part of an upload may be small, though, so a seam
 * is built as an upload of its own (the object's last 5 MiB or so copied,
 * the glue sent as its small last part) and then copied whole into the
 * archive: the server copies each object once, and a seam's share of it
 * twice. Only the
 * archive's first part borrows the start of the first object, so that it
 * reaches 5 MiB: the client reads and sends those bytes once.
 *
 * @module
 */

import { MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE } from "./_part_size_plan.ts";

/** Archive bytes `start` (inclusive) to `end` (exclusive). */
export interface ArchiveRange {
  readonly start: number;
  readonly end: number;
}

/** Bytes of a copyable entry's object: `start` to `end` of its data. */
export interface ObjectRange<Source> {
  readonly source: Source;
  readonly start: number;
  readonly end: number;
}

/** A part the client sends: archive bytes it reads from the plan. */
export interface SendPart {
  readonly kind: "send";
  readonly range: ArchiveRange;
}

/** One part of the archive's upload, covering `range` of the archive. */
export type CopyPart<Source> =
  | SendPart
  /** A range of an object, copied server-side. */
  | {
    readonly kind: "copy";
    readonly range: ArchiveRange;
    readonly copy: ObjectRange<Source>;
  }
  /**
   * A temporary object made of a range of an object (copied) and the glue
   * after it (sent), then copied whole.
   */
  | {
    readonly kind: "seam";
    readonly range: ArchiveRange;
    readonly copy: ObjectRange<Source>;
    readonly glue: ArchiveRange;
  };

/** An entry whose data lies at `dataOffset` and may be copied. */
export interface CopyableEntry<Source> {
  readonly dataOffset: number;
  readonly size: number;
  readonly source: Source;
}

/** What the layout is cut to. */
export interface CopyLimits {
  /** The smallest part but the last. */
  readonly minPart: number;
  /** The largest part. */
  readonly maxPart: number;
  /** The most parts. */
  readonly maxParts: number;
  /** How much glue one sent part holds, at most (and at least, but the last). */
  readonly sendPart: number;
}

/** S3's limits, and sent parts of 16 MiB. */
export const S3_COPY_LIMITS: CopyLimits = {
  minPart: MIN_PART_SIZE,
  maxPart: MAX_PART_SIZE,
  maxParts: MAX_PARTS,
  sendPart: 16 * 1024 * 1024,
};

/**
 * Cuts an archive of `size` bytes into upload parts, copying the data of
 * `copyable` entries (in archive order) where the limits allow: an entry
 * smaller than `minPart` is sent as glue, and so is the first copyable
 * entry when, after lending the archive's first part what it lacks of
 * `minPart`, less than `minPart` of it is left.
 *
 * @throws {RangeError} when the parts would number more than `maxParts`.
 */
export function copyLayout<Source>(
  size: number,
  copyable: readonly CopyableEntry<Source>[],
  limits: CopyLimits = S3_COPY_LIMITS,
): CopyPart<Source>[] {
  const parts: CopyPart<Source>[] = [];
  const runs = copyable.filter((entry) => entry.size >= limits.minPart);
  // The glue not yet in a part starts here.
  let glueStart = 0;
  let index = 0;
  // The first part: glue of at least minPart, borrowing from the first run.
  for (; index < runs.length; index++) {
    const run = runs[index]!;
    const glue = run.dataOffset - glueStart;
    if (glue >= limits.minPart) {
      parts.push(
        ...sendParts({ start: glueStart, end: run.dataOffset }, limits),
      );
      break;
    }
    const borrowed = limits.minPart - glue;
    if (run.size - borrowed >= limits.minPart) {
      parts.push({
        kind: "send",
        range: { start: glueStart, end: run.dataOffset + borrowed },
      });
      glueStart = run.dataOffset + borrowed;
      break;
    }
    // Too short to lend and still be copied: the run is sent as glue.
  }
  for (; index < runs.length; index++) {
    const run = runs[index]!;
    const runEnd = run.dataOffset + run.size;
    const copyStart = Math.max(glueStart, run.dataOffset);
    const next = runs[index + 1];
    const glue = { start: runEnd, end: next?.dataOffset ?? size };
    const pieces = copyPieces(
      run,
      copyStart - run.dataOffset,
      next !== undefined && glue.end - glue.start < limits.minPart &&
        glue.end > glue.start
        ? limits.maxPart - (glue.end - glue.start)
        : limits.maxPart,
    );
    // Objects that touch need no seam: one's copies end where the next's
    // begin (as the segments of an archive written by several workers do).
    const glueLength = glue.end - glue.start;
    if (
      next === undefined || glueLength === 0 || glueLength >= limits.minPart
    ) {
      parts.push(...pieces.map((copy) => copyPart(run, copy)));
      parts.push(...sendParts(glue, limits));
    } else {
      const last = pieces.pop()!;
      // The seam's bytes are copied twice (into the seam, then into the
      // archive), so it takes only the object's last minPart when what is
      // before them can still be a copy part of its own.
      const split = last.end - last.start >= 2 * limits.minPart
        ? last.end - limits.minPart
        : last.start;
      if (split > last.start) pieces.push({ ...last, end: split });
      parts.push(...pieces.map((copy) => copyPart(run, copy)));
      parts.push({
        kind: "seam",
        range: { start: run.dataOffset + split, end: glue.end },
        copy: { ...last, start: split },
        glue,
      });
    }
    glueStart = glue.end;
  }
  if (glueStart < size && parts.length === 0) {
    parts.push(...sendParts({ start: 0, end: size }, limits));
  }
  if (parts.length > limits.maxParts) {
    throw new RangeError(
      `Cannot copy the archive server-side: expected at most ${limits.maxParts} parts but its objects and the glue between them make ${parts.length}`,
    );
  }
  return parts;
}

/**
 * A run's data from `from` on (at least `minPart` bytes), cut into equal
 * ranges of at most `largest` bytes: when there are several, each holds
 * more than half of `largest`, far above `minPart`.
 */
function copyPieces<Source>(
  run: CopyableEntry<Source>,
  from: number,
  largest: number,
): ObjectRange<Source>[] {
  const length = run.size - from;
  const count = Math.ceil(length / largest);
  const pieces: ObjectRange<Source>[] = [];
  for (let i = 0; i < count; i++) {
    pieces.push({
      source: run.source,
      start: from + Math.floor(length * i / count),
      end: from + Math.floor(length * (i + 1) / count),
    });
  }
  return pieces;
}

function copyPart<Source>(
  run: CopyableEntry<Source>,
  copy: ObjectRange<Source>,
): CopyPart<Source> {
  return {
    kind: "copy",
    range: {
      start: run.dataOffset + copy.start,
      end: run.dataOffset + copy.end,
    },
    copy,
  };
}

/**
 * Glue cut into sent parts of about `sendPart` bytes, none below it but
 * when the whole range is smaller (a range below `minPart` is only ever
 * the archive's last).
 */
function sendParts(range: ArchiveRange, limits: CopyLimits): SendPart[] {
  const length = range.end - range.start;
  if (length === 0) return [];
  const count = Math.max(1, Math.floor(length / limits.sendPart));
  const parts: SendPart[] = [];
  for (let i = 0; i < count; i++) {
    parts.push({
      kind: "send",
      range: {
        start: range.start + Math.floor(length * i / count),
        end: range.start + Math.floor(length * (i + 1) / count),
      },
    });
  }
  return parts;
}
