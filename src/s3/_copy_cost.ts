/**
 * What a server-side build costs: the bytes the client sends and reads,
 * and the bytes the server copies.
 *
 * @module
 */

import type { Assembly } from "./_assembly.ts";
import type { CopyPart } from "./_copy_layout.ts";
import type { S3RangedSource } from "./s3_ranged_source.ts";
import type { CopyPlanResult } from "./copy_plan_to_s3.ts";

/** Parts, copies, seams, and the bytes sent, read and copied. */
export type CopyCost = Omit<CopyPlanResult, "bucket" | "key" | "etag" | "size">;

/** The bytes sent, read and copied for `parts` of `plan`. */
export function costOf(
  plan: Assembly,
  parts: readonly CopyPart<S3RangedSource>[],
): CopyCost {
  let bytesSent = 0;
  let bytesRead = 0;
  let bytesCopied = 0;
  // Sent ranges come in archive order, as entries do: one pass over the
  // entries serves them all, rather than a pass per range.
  const { entries } = plan;
  let next = 0;
  const sentRange = (start: number, end: number) => {
    bytesSent += end - start;
    while (
      next < entries.length &&
      entries[next]!.dataOffset + entries[next]!.size <= start
    ) next++;
    for (let i = next; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.dataOffset >= end) break;
      const from = Math.max(start, entry.dataOffset);
      const to = Math.min(end, entry.dataOffset + entry.size);
      if (from < to) bytesRead += to - from;
    }
  };
  for (const part of parts) {
    if (part.kind === "send") sentRange(part.range.start, part.range.end);
    else bytesCopied += part.copy.end - part.copy.start;
    if (part.kind === "seam") {
      sentRange(part.glue.start, part.glue.end);
      bytesCopied += part.range.end - part.range.start;
    }
  }
  return {
    parts: parts.length,
    copiedParts: parts.filter((part) => part.kind === "copy").length,
    seams: parts.filter((part) => part.kind === "seam").length,
    bytesSent,
    bytesRead,
    bytesCopied,
  };
}
