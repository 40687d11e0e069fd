/**
 * The lines printed when the archive is complete: the summary, and a
 * warning when the object was stored but could not be checked.
 *
 * @module
 */

import {
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
} from "./_format.ts";

/** What the summary reports. */
export interface SummaryFacts {
  entries: number;
  bytesIn: number;
  bytesOut: number;
  elapsedMs: number;
  /** Where the archive went, as the user wrote it. */
  target: string;
  /** For S3 targets: the object's size and ETag. */
  object?: { size: number; etag: string } | undefined;
}

/**
 * `zipstream: nothing to send: the upload up.resume records was completed by
 * an earlier run -> s3://demo/tree.zip (102,876,543 bytes, ETag "…")`
 */
export function formatCompletedEarlier(
  checkpointPath: string,
  target: string,
  object: { size: number; etag: string },
): string {
  return `zipstream: nothing to send: the upload ${checkpointPath} records was completed by an earlier run -> ${target}${
    objectFacts(object)
  }`;
}

/**
 * `zipstream: warning: s3://demo/tree.zip was stored, but not fully checked:
 * the server said it stored the object, but HeadObject failed, so its size
 * was not checked (…)`: the upload's `unverified`, as the library found it.
 */
export function formatUnverified(target: string, unverified: string): string {
  return `zipstream: warning: ${target} was stored, but not fully checked: ${unverified}`;
}

function objectFacts(object: { size: number; etag: string }): string {
  return ` (${formatCount(object.size)} bytes, ETag ${object.etag})`;
}

/**
 * `zipstream: 3,214 entries, 212 MiB in, 98.1 MiB out (46.3%), 118 MiB/s,
 * 1.8 s -> s3://demo/tree.zip (102,876,543 bytes, ETag "…")`
 */
export function formatSummary(facts: SummaryFacts): string {
  const ratio = facts.bytesIn === 0
    ? ""
    : ` (${((facts.bytesOut / facts.bytesIn) * 100).toFixed(1)}%)`;
  const seconds = facts.elapsedMs / 1000;
  const rate = seconds > 0 ? facts.bytesIn / seconds : 0;
  const object = facts.object === undefined ? "" : objectFacts(facts.object);
  return `zipstream: ${formatCount(facts.entries)} ${
    facts.entries === 1 ? "entry" : "entries"
  }, ${formatBytes(facts.bytesIn)} in, ${
    formatBytes(facts.bytesOut)
  } out${ratio}, ${formatRate(rate)}, ${
    formatDuration(facts.elapsedMs)
  } -> ${facts.target}${object}`;
}
