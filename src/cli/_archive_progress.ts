/**
 * The progress of a run's archive: the {@linkcode Progress} made from the
 * items to archive (and what a resumed upload already did), and what feeds
 * it. Bytes count as they are read, so that a large streamed file shows
 * progress while it is read; an entry counts once the archive has written
 * it, since the archive reads up to 1,024 entries (8 MiB) ahead of the one
 * it writes, to deflate them in parallel.
 *
 * @module
 */

import type { WrittenEntry } from "../zip/written_entry.ts";
import type { ArchiveResumePoint } from "../s3/resume_point.ts";
import type { ZipEntry } from "../zip/zip_entry.ts";
import { type ArchiveItem, inputBytes, toZipEntries } from "./_entries.ts";
import { WHOLE_FILE_LIMIT } from "./_file_source.ts";
import { Progress, type ProgressStyle, type ResumedWork } from "./_progress.ts";

/** What the progress of an archive is made from. */
export interface ArchiveProgressSetup {
  /** The items to archive, in order. */
  items: readonly ArchiveItem[];
  /** `--no-progress` gives `summary`, `--quiet` `none`: no bar either way. */
  display: "bar" | "summary" | "none";
  /** `-v`: the entries are listed instead of the bar. */
  verbose: boolean;
  /** Whether the archive is uploaded (to S3), so that bytes sent are shown. */
  uploads: boolean;
  /** With `--resume`: where the resumed archive starts, and the entries before it. */
  resumePoint: ResumedArchive | undefined;
}

/** Where a resumed archive starts, and the entries before it: what `--resume` reads back. */
type ResumedArchive = ArchiveResumePoint["archive"];

/** The progress of the archive of `setup.items`, counting what a resumed run did as done. */
export function archiveProgress(setup: ArchiveProgressSetup): Progress {
  const { items, resumePoint } = setup;
  return new Progress(styleOf(setup), {
    bytes: items.some((item) => item.kind === "stdin")
      ? undefined
      : inputBytes(items),
    entries: items.length,
    uploads: setup.uploads,
    resumed: resumePoint === undefined || resumePoint.offset === 0
      ? undefined
      : resumedWork(items, resumePoint),
  });
}

/** The bar on a terminal, plain lines in a log, or nothing. */
function styleOf(setup: ArchiveProgressSetup): ProgressStyle {
  if (setup.display !== "bar" || setup.verbose) return "off";
  return Deno.stderr.isTerminal() ? "bar" : "lines";
}

/** What the earlier run of a resumed upload did. */
function resumedWork(
  items: readonly ArchiveItem[],
  resumePoint: ResumedArchive,
): ResumedWork {
  const entries = resumePoint.entries.length;
  return {
    // The archive does not read again the streamed entries recorded before
    // its offset; files read whole are read (and counted) again, since the
    // archive lays them out from their bytes.
    bytesIn: inputBytes(
      items.slice(0, entries).filter((item) =>
        item.kind !== "file" || item.size > WHOLE_FILE_LIMIT
      ),
    ),
    entries,
    bytesOut: resumePoint.offset,
  };
}

/** The archive's entries and its `onEntry`, wired to a progress. */
export interface ProgressFeeds {
  /** The entries to archive, reporting their names and bytes as they are read. */
  entries: Generator<ZipEntry, void, undefined>;
  /** For `zip()`'s `onEntry`: counts each entry once it is written. */
  entryWritten: (entry: WrittenEntry) => void;
}

/**
 * The entries of `items` and the `onEntry` callback, feeding `progress`.
 * `zip()` calls `onEntry` once for every entry, those a resume skips
 * included, so the count reaches the total either way.
 */
export function feedProgress(
  progress: Progress,
  items: readonly ArchiveItem[],
  storeSuffixes: readonly string[],
): ProgressFeeds {
  return {
    entries: toZipEntries(items, {
      entryStarted: (item) => progress.entryStarted(item.name),
      bytesRead: (count) => progress.bytesRead(count),
    }, storeSuffixes),
    entryWritten: () => progress.entryWritten(),
  };
}
