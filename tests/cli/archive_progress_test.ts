import assert from "node:assert/strict";
import {
  archiveProgress,
  feedProgress,
} from "../../src/cli/_archive_progress.ts";
import type { ArchiveItem } from "../../src/cli/_entries.ts";
import { WHOLE_FILE_LIMIT } from "../../src/cli/_file_source.ts";
import type { WrittenEntry } from "../../src/zip/written_entry.ts";
import type { ZipEntry } from "../../src/zip/zip_entry.ts";
import { zip } from "../../src/zip/zip.ts";
import { withTempDir } from "../_readers.ts";

const MTIME = Date.UTC(2021, 2, 4, 5, 6, 8);

function directories(count: number, prefix = "d"): ArchiveItem[] {
  return Array.from({ length: count }, (_, i) => ({
    kind: "directory",
    name: `${prefix}${i}/`,
    path: `/nowhere/${prefix}${i}`,
    mtime: MTIME,
    mode: 0o755,
  }));
}

async function files(
  dir: string,
  sizes: readonly number[],
): Promise<ArchiveItem[]> {
  return await Promise.all(sizes.map(async (size, i) => {
    const path = `${dir}/f${i}.bin`;
    await Deno.writeFile(path, new Uint8Array(size).fill(i % 256));
    return {
      kind: "file",
      name: `f${i}.bin`,
      path,
      size,
      mtime: MTIME,
      mode: 0o644,
    };
  }));
}

/**
 * The archive of `entries`, stored unless `deflate` (with two workers),
 * resumed at `resume` if given; `pulled` is told how many entries the
 * archive has pulled each time it pulls one.
 */
async function archive(
  entries: Iterable<ZipEntry>,
  hooks: {
    onEntry: (entry: WrittenEntry) => void;
    pulled?: (pulled: number) => void;
    resume?: { offset: number; entries: WrittenEntry[] };
    deflate?: boolean;
  },
): Promise<Uint8Array> {
  function* watched(): Generator<ZipEntry> {
    let pulled = 0;
    for (const entry of entries) {
      hooks.pulled?.(++pulled);
      yield entry;
    }
  }
  return await new Response(
    zip(watched(), {
      ...(hooks.deflate === true
        ? { compression: "deflate", workers: 2 }
        : { compression: "store" }),
      onEntry: hooks.onEntry,
      ...(hooks.resume === undefined ? {} : { resume: hooks.resume }),
    }),
  ).bytes();
}

Deno.test("feedProgress() counts an entry once the archive has written it, not once the look-ahead has read it", async () => {
  await withTempDir(async (dir) => {
    // Data given whole and deflated is what the archive reads ahead for,
    // to share among the workers.
    const sizes = Array.from({ length: 600 }, (_, i) => 1000 + i);
    const items = [
      ...directories(50),
      ...await files(dir, sizes),
      ...directories(50, "e"),
    ];
    const progress = archiveProgress({
      items,
      display: "summary",
      verbose: false,
      uploads: false,
      resumePoint: undefined,
    });
    const { entries, entryWritten } = feedProgress(progress, items, []);
    let written = 0;
    let mostAhead = 0;
    await archive(entries, {
      deflate: true,
      pulled: (pulled) => {
        mostAhead = Math.max(mostAhead, pulled - written);
        assert.ok(
          progress.entriesDone <= written,
          `${progress.entriesDone} entries counted with ${pulled} read and ${written} written`,
        );
      },
      onEntry: (entry) => {
        entryWritten(entry);
        written++;
        assert.equal(progress.entriesDone, written);
      },
    });
    // The archive read well ahead of what it wrote: counting the entries
    // as they were read would have run ahead of the archive.
    assert.ok(mostAhead > 100, `read at most ${mostAhead} entries ahead`);
    assert.equal(progress.entriesDone, items.length);
    assert.equal(progress.bytesIn, sizes.reduce((sum, size) => sum + size));
  });
});

Deno.test("feedProgress() of a resumed archive counts the earlier run's entries once, those skipped unread included", async () => {
  await withTempDir(async (dir) => {
    // Files above WHOLE_FILE_LIMIT are streamed: the resumed archive skips
    // those recorded before its offset without reading them.
    const big = WHOLE_FILE_LIMIT + 1;
    const items = [
      ...await files(dir, [big, 100, big, 200, big]),
      ...directories(3),
    ];
    const full: WrittenEntry[] = [];
    const whole = await archive(
      feedProgress(
        archiveProgress({
          items,
          display: "none",
          verbose: false,
          uploads: true,
          resumePoint: undefined,
        }),
        items,
        [],
      ).entries,
      { onEntry: (entry) => full.push(entry) },
    );
    const resume = { offset: full[2]!.end, entries: full.slice(0, 3) };
    const progress = archiveProgress({
      items,
      display: "none",
      verbose: false,
      uploads: true,
      resumePoint: resume,
    });
    assert.equal(progress.entriesDone, 3);
    const { entries, entryWritten } = feedProgress(progress, items, []);
    let written = 0;
    const rest = await archive(entries, {
      resume,
      onEntry: (entry) => {
        entryWritten(entry);
        written++;
        assert.equal(progress.entriesDone, Math.max(3, written));
      },
    });
    assert.deepEqual(rest, whole.subarray(resume.offset));
    // zip() reports every entry, the skipped ones again: 8, not 3 + 8.
    assert.equal(written, items.length);
    assert.equal(progress.entriesDone, items.length);
    // The two big files skipped were not read, yet count as input done.
    assert.equal(progress.bytesIn, 3 * big + 300);
  });
});
