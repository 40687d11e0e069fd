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
  /** Input bytes of the whole archive, a resumed run's included. */
  bytesIn: number;
  /** Bytes of the whole archive, those a resumed run uploaded included. */
  bytesOut: number;
  /** What the run this one resumed had done (`--resume`), if anything. */
  resumed?: { bytesIn: number; bytesOut: number } | undefined;
  elapsedMs: number;
  /** Where the archive went, as the user wrote it. */
  target: string;
  /** For S3 targets: the object's size and ETag. */
  object?: { size: number; etag: string } | undefined;
  /**
   * What a server-side build (`copyPlanToS3`) sent, had S3 copy, and read,
   * and how many entries it streamed after the copied ones.
   */
  built?: {
    bytesSent: number;
    bytesCopied: number;
    bytesRead: number;
    streamed?: number;
    /** Segments written by workers (`--queue`) and joined. */
    segments?: number;
  };
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
 *
 * In and out are the whole archive's, so that out is the object's size and
 * their ratio the compression's. A resumed run says after them what it did
 * itself, and its speed is that of its own reading: `…, 98.1 MiB out
 * (46.3%), resumed after 40.0 MiB: 130 MiB read and 58.1 MiB sent by this
 * run, 118 MiB/s, …`. A server-side build says what it cost instead of a
 * speed, which would be that of S3's copies: `…, 8.00 GiB out (100.0%),
 * built server-side: 5.00 MiB sent, 8.00 GiB copied, 5.00 MiB read, 41.2 s
 * -> …`, and when it streamed compressed entries after the copied ones,
 * how many: `…, 5.00 MiB read, 3 entries streamed after the copied ones,
 * …`.
 */
export function formatSummary(facts: SummaryFacts): string {
  const ratio = facts.bytesIn === 0
    ? ""
    : ` (${((facts.bytesOut / facts.bytesIn) * 100).toFixed(1)}%)`;
  const readNow = facts.bytesIn - (facts.resumed?.bytesIn ?? 0);
  const resumed = facts.resumed === undefined
    ? ""
    : `, resumed after ${formatBytes(facts.resumed.bytesOut)}: ${
      formatBytes(readNow)
    } read and ${
      formatBytes(facts.bytesOut - facts.resumed.bytesOut)
    } sent by this run`;
  const seconds = facts.elapsedMs / 1000;
  const rate = seconds > 0 ? readNow / seconds : 0;
  const object = facts.object === undefined ? "" : objectFacts(facts.object);
  const { built } = facts;
  const how = built === undefined
    ? formatRate(rate)
    : `${
      built.segments === undefined
        ? ""
        : `${formatCount(built.segments)} ${
          built.segments === 1 ? "segment" : "segments"
        } written by workers, `
    }built server-side: ${formatBytes(built.bytesSent)} sent, ${
      formatBytes(built.bytesCopied)
    } copied, ${formatBytes(built.bytesRead)} read${
      built.streamed
        ? `, ${formatCount(built.streamed)} ${
          built.streamed === 1 ? "entry" : "entries"
        } streamed after the copied ones`
        : ""
    }`;
  return `zipstream: ${formatCount(facts.entries)} ${
    facts.entries === 1 ? "entry" : "entries"
  }, ${formatBytes(facts.bytesIn)} in, ${
    formatBytes(facts.bytesOut)
  } out${ratio}${resumed}, ${how}, ${
    formatDuration(facts.elapsedMs)
  } -> ${facts.target}${object}`;
}

/** The summary's word on what `--strict` would have refused. */
export function formatSkipped(count: number): string {
  const paths = count === 1 ? "1 unreadable path" : `${count} unreadable paths`;
  return `zipstream: skipped ${paths} (see the warnings above); the archive holds everything else`;
}

/** What a run stopped by `--max-time` reports. */
export interface PausedFacts {
  /** Bytes of the archive the server holds, earlier runs' included. */
  bytesStored: number;
  /** The archive's length, when it is known before it is written. */
  bytesTotal: number | undefined;
  parts: number;
  uploadId: string;
  elapsedMs: number;
  target: string;
  /** `--resume`'s FILE or `s3://` checkpoint, as given. */
  checkpoint: string;
}

/**
 * `zipstream: paused at --max-time after 14:10: 61.0 GiB of 120 GiB
 * stored in 610 parts (upload ID … of s3://demo/logs.zip), kept for
 * --resume up.resume; run the same command again to continue`
 */
export function formatPaused(facts: PausedFacts): string {
  const total = facts.bytesTotal === undefined
    ? ""
    : ` of ${formatBytes(facts.bytesTotal)}`;
  return `zipstream: paused at --max-time after ${
    formatDuration(facts.elapsedMs)
  }: ${formatBytes(facts.bytesStored)}${total} stored in ${
    formatCount(facts.parts)
  } ${
    facts.parts === 1 ? "part" : "parts"
  } (upload ID ${facts.uploadId} of ${facts.target}), kept for --resume ${facts.checkpoint}; run the same command again to continue`;
}
