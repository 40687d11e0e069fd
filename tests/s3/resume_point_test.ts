import assert from "node:assert/strict";
import {
  type ArchiveResumePoint,
  parseUploadCheckpoint,
  resumePointOf,
  S3UploadError,
  type UploadCheckpoint,
  uploadToS3,
} from "../../src/s3/mod.ts";
import {
  decodeWrittenEntry,
  encodeWrittenEntry,
  type WrittenEntry,
  zip,
  type ZipEntry,
} from "../../mod.ts";
import {
  FAKE_PART_SIZE,
  fakeUploadOptions,
  RecordingS3,
  s3Error,
  sha256,
} from "./_recording_s3.ts";

const MIB = 1024 * 1024;
const PART = FAKE_PART_SIZE;

/** A checkpoint holding `partNumbers`, each a whole part of 5 MiB. */
function checkpointOf(partNumbers: number[]): UploadCheckpoint {
  return {
    version: 1,
    bucket: "bucket",
    key: "out.zip",
    uploadId: "upload-1",
    partSize: PART,
    parts: partNumbers.map((partNumber) => ({
      partNumber,
      offset: (partNumber - 1) * PART,
      size: PART,
      etag: `"${"0".repeat(32)}"`,
      md5: "0".repeat(32),
      prefixCrc32: 0,
    })),
  };
}

function record(name: string, offset: number, end: number): WrittenEntry {
  return { name, offset, end, crc32: 0, size: 0, compressedSize: 0 };
}

function expectPoint(
  point: ArchiveResumePoint,
  checkpoint: UploadCheckpoint,
  offset: number,
  kept: string[],
): void {
  assert.equal(point.archive.offset, offset);
  assert.deepEqual(point.archive.entries.map((entry) => entry.name), kept);
  assert.equal(point.upload.bodyOffset, offset);
  assert.equal(point.upload.resume, checkpoint);
}

Deno.test("resumePointOf() restarts at the last part boundary before the first entry that runs past the completed parts", () => {
  const checkpoint = checkpointOf([1, 2]);
  const a = record("a", 0, 4 * MIB);
  const b = record("b", 4 * MIB, 7 * MIB);
  const c = record("c", 7 * MIB, 12 * MIB);
  expectPoint(resumePointOf(checkpoint, [a, b, c]), checkpoint, 5 * MIB, [
    "a",
  ]);
  // An entry ending on a part boundary is wholly done.
  const d = record("d", 0, 5 * MIB);
  const e = record("e", 5 * MIB, 11 * MIB);
  expectPoint(resumePointOf(checkpoint, [d, e]), checkpoint, 5 * MIB, ["d"]);
  // Bytes after the last record (the next entry's, not yet recorded) are
  // not known to belong to a whole entry either.
  const f = record("f", 0, 3 * MIB);
  const g = record("g", 3 * MIB, 9 * MIB);
  expectPoint(resumePointOf(checkpoint, [f, g]), checkpoint, 5 * MIB, ["f"]);
  const h = record("h", 9 * MIB, 10 * MIB);
  expectPoint(
    resumePointOf(checkpoint, [f, g, h]),
    checkpoint,
    10 * MIB,
    ["f", "g", "h"],
  );
});

Deno.test("resumePointOf() counts only the parts that run without a gap from part 1", () => {
  const checkpoint = checkpointOf([1, 2, 4]);
  const records = [
    record("a", 0, 6 * MIB),
    record("b", 6 * MIB, 10 * MIB),
    record("c", 10 * MIB, 21 * MIB),
  ];
  expectPoint(resumePointOf(checkpoint, records), checkpoint, 10 * MIB, [
    "a",
    "b",
  ]);
  const noFirst = checkpointOf([2, 3]);
  expectPoint(resumePointOf(noFirst, records), noFirst, 0, []);
});

Deno.test("resumePointOf() trusts records only while each starts where the one before ended, from offset 0", () => {
  const checkpoint = checkpointOf([1, 2, 3]);
  const a = record("a", 0, 4 * MIB);
  const c = record("c", 7 * MIB, 12 * MIB);
  // The record of b was lost: what follows it is not known to be this archive's.
  expectPoint(resumePointOf(checkpoint, [a, c]), checkpoint, 0, []);
  expectPoint(
    resumePointOf(checkpoint, [record("x", 100, 6 * MIB)]),
    checkpoint,
    0,
    [],
  );
  expectPoint(resumePointOf(checkpoint, []), checkpoint, 0, []);
});

Deno.test("resumePointOf() stops reading the records at the first one past the completed parts", () => {
  const checkpoint = checkpointOf([1, 2]);
  let pulled = 0;
  function* records(): Generator<WrittenEntry> {
    for (let i = 0;; i++) {
      pulled++;
      yield record(`${i}`, i * 3 * MIB, (i + 1) * 3 * MIB);
    }
  }
  expectPoint(resumePointOf(checkpoint, records()), checkpoint, 5 * MIB, [
    "0",
  ]);
  // Records 0 to 2 end at 3, 6 and 9 MiB; record 3 ends past 10 MiB.
  assert.equal(pulled, 4);
});

Deno.test("resumePointOf() names the argument that is not what it expects", () => {
  const checkpoint = checkpointOf([1]);
  assert.throws(
    () => resumePointOf({ ...checkpoint, uploadId: "" }, []),
    {
      name: "TypeError",
      message:
        'Cannot find where the archive resumes: invalid checkpoint: Invalid upload checkpoint: expected uploadId to be a non-empty string but got ""',
    },
  );
  assert.throws(
    () => resumePointOf({ ...checkpoint, version: 2 }, []),
    {
      name: "RangeError",
      message:
        "Cannot find where the archive resumes: invalid checkpoint: Invalid upload checkpoint: expected version to be 1 but got 2",
    },
  );
  assert.throws(
    () => resumePointOf(checkpoint, 7 as unknown as WrittenEntry[]),
    {
      name: "TypeError",
      message:
        "Cannot find where the archive resumes: expected entries to be an iterable of written entries but got 7",
    },
  );
  assert.throws(
    () =>
      resumePointOf(checkpoint, [
        record("a", 0, 10),
        { name: "b", offset: 10 } as WrittenEntry,
      ]),
    {
      name: "TypeError",
      message:
        'Cannot find where the archive resumes: expected entries[1] to be a written entry (from onEntry or decodeWrittenEntry) but got {"name":"b","offset":10}',
    },
  );
});

/** Six stored entries of 3 MiB, read as streams; `reads` counts each one's chunks. */
function archiveEntries(reads: number[], changed = -1): ZipEntry[] {
  return Array.from({ length: 6 }, (_, index) => ({
    name: `data/${index}.bin`,
    compression: "store",
    lastModified: Date.UTC(2026, 0, 1),
    data: ReadableStream.from((function* () {
      for (let chunk = 0; chunk < 3; chunk++) {
        reads[index]!++;
        const bytes = new Uint8Array(MIB).fill(index * 3 + chunk + 1);
        // A change that keeps the size: only the bytes can tell.
        if (index === changed && chunk === 2) bytes[MIB - 1] = 0;
        yield bytes;
      }
    })()),
  }));
}

/**
 * Uploads the archive until part 4 is refused, keeping the records and the
 * checkpoints as a CLI keeps them in files: JSON lines and JSON.
 */
async function interrupted(
  s3: RecordingS3,
): Promise<{ lines: string; checkpoint: string }> {
  let lines = "";
  let checkpoint = "";
  s3.fault = (call) =>
    call.command === "UploadPart" && call.partNumber === 4
      ? s3Error("AccessDenied", 403)
      : undefined;
  await assert.rejects(
    uploadToS3(
      zip(archiveEntries(Array(6).fill(0)), {
        onEntry: (entry) => {
          lines += `${encodeWrittenEntry(entry)}\n`;
        },
      }),
      fakeUploadOptions(s3, {
        concurrency: 1,
        abortOnFailure: false,
        onCheckpoint: (saved) => {
          checkpoint = JSON.stringify(saved);
        },
      }),
    ),
    { name: "S3UploadError", uploadKept: true },
  );
  s3.fault = () => undefined;
  s3.calls.length = 0;
  return { lines, checkpoint };
}

function pointFrom(kept: { lines: string; checkpoint: string }) {
  return resumePointOf(
    parseUploadCheckpoint(JSON.parse(kept.checkpoint)),
    kept.lines.trimEnd().split("\n").map((line) => decodeWrittenEntry(line)),
  );
}

Deno.test("resumePointOf() with decoded records resumes zip() and uploadToS3(): the same bytes, whole entries not read again", async () => {
  const full = await new Response(zip(archiveEntries(Array(6).fill(0))))
    .bytes();
  const s3 = new RecordingS3();
  const point = pointFrom(await interrupted(s3));
  // Parts 1 to 3 (15 MiB) are done; entry 3 runs from about 9 to 12 MiB,
  // entry 4 past 15 MiB: the archive restarts at the end of part 2.
  expectPoint(point, point.upload.resume, 2 * PART, [
    "data/0.bin",
    "data/1.bin",
    "data/2.bin",
  ]);
  const reads: number[] = Array(6).fill(0);
  const result = await uploadToS3(
    zip(archiveEntries(reads), { resume: point.archive }),
    fakeUploadOptions(s3, { concurrency: 1, ...point.upload }),
  );
  assert.equal(result.size, full.length);
  assert.equal(sha256(s3.objects.get("out.zip")!.bytes), sha256(full));
  assert.deepEqual(reads, [0, 0, 0, 3, 3, 3]);
  assert.deepEqual(
    s3.calls.filter((call) => call.command === "UploadPart")
      .map((call) => call.partNumber),
    [4],
  );
});

Deno.test("resumePointOf() makes the resumed upload compare an entry that runs into the completed parts, catching a change that kept its size", async () => {
  const s3 = new RecordingS3();
  const point = pointFrom(await interrupted(s3));
  const error = await uploadToS3(
    zip(archiveEntries(Array(6).fill(0), 3), { resume: point.archive }),
    fakeUploadOptions(s3, { concurrency: 1, ...point.upload }),
  ).then(() => assert.fail("expected the resume to fail"), (e: unknown) => e);
  assert.ok(error instanceof S3UploadError, `${error}`);
  assert.equal(error.partNumber, 3);
  assert.equal(error.uploadKept, true);
  assert.match(error.message, /part 3 \(body bytes \d+ to \d+\) differs/);
  assert.deepEqual(s3.pendingUploads(), ["out.zip"]);
});
