/**
 * ZIP64 end to end: archives past 4 GiB and past 65,535 entries, generated on
 * the fly into a temporary directory, opened by every reader, and deleted.
 */

import assert from "node:assert/strict";
import { predictLength, zip, type ZipEntry } from "../../mod.ts";
import {
  assertOpensEverywhere,
  type Digest,
  digestOf,
  type ExpectedEntry,
  type PythonEntry,
  withTempDir,
} from "../_readers.ts";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
const FOUR_GIB = 4 * GIB;
const OPTIONS = { lastModified: Date.UTC(2026, 2, 4, 5, 6, 8) };
const ZIP64_EXTRA_ID = 0x0001;
/** What bsdtar says when it reads a 16-byte descriptor where 24 bytes follow. */
const BSDTAR_WRONG_SIZE = /ZIP (un)?compressed data is wrong size/;
/** What unzipper says when the descriptor it reads is not the one written. */
const UNZIPPER_REFUSAL = /invalid signature|FILE_ENDED/;

/** One MiB that deflate cannot shrink, repeated to make big entries cheaply. */
const BLOCK = (() => {
  const bytes = new Uint8Array(MIB);
  let state = 20260304;
  for (let i = 0; i < bytes.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
})();

/** `size` bytes of `BLOCK` repeated, in 1 MiB chunks. */
function* repeated(size: number): Generator<Uint8Array> {
  for (let left = size; left > 0; left -= BLOCK.length) {
    yield left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left);
  }
}

/** Writes the archive to `path` and returns its length. */
async function write(
  path: string,
  archive: ReadableStream<Uint8Array>,
): Promise<number> {
  await archive.pipeTo((await Deno.create(path)).writable);
  return (await Deno.stat(path)).size;
}

/** The IDs and data sizes of the fields in a central directory extra. */
function extraFields(entry: PythonEntry): Map<number, number> {
  const bytes = Uint8Array.from(
    entry.extra.match(/../g) ?? [],
    (hex) => parseInt(hex, 16),
  );
  const view = new DataView(bytes.buffer);
  const fields = new Map<number, number>();
  for (let at = 0; at + 4 <= bytes.length;) {
    const size = view.getUint16(at + 2, true);
    fields.set(view.getUint16(at, true), size);
    at += 4 + size;
  }
  return fields;
}

Deno.test("a stored entry over 4 GiB of unknown size declared zip64, and the entry after it, open in every reader that can read stored data of unknown size", async () => {
  const size = FOUR_GIB + MIB / 2 + 3;
  const huge = await digestOf(repeated(size));
  await withTempDir(async (dir) => {
    const path = `${dir}/huge.zip`;
    await write(
      path,
      zip([
        {
          name: "huge.bin",
          data: ReadableStream.from(repeated(size)),
          compression: "store",
          zip64: true,
        },
        { name: "after.txt", data: "a small entry after 4 GiB" },
      ], OPTIONS),
    );
    const { python } = await assertOpensEverywhere(path, [
      { name: "huge.bin", digest: huge },
      { name: "after.txt", data: "a small entry after 4 GiB" },
    ], {
      // unzipper finds the end of stored data by the descriptor's signature
      // and reads 16 bytes of it, whatever the local header says.
      refusals: [{ reader: "unzipper Parse", message: UNZIPPER_REFUSAL }],
    });
    const [first, after] = python.entries;
    assert.equal(first?.compressSize, size);
    assert.ok(after!.headerOffset > FOUR_GIB, "after.txt starts past 4 GiB");
    // Both sizes overflow, and the offset too for the second entry.
    assert.equal(extraFields(first!).get(ZIP64_EXTRA_ID), 16);
    assert.equal(extraFields(after!).get(ZIP64_EXTRA_ID), 8);
  });
});

Deno.test("a stored entry over 4 GiB of unknown size not declared zip64 is refused by bsdtar from a pipe and unzipper, and read by the rest, as the README says", async () => {
  const size = FOUR_GIB + 12_345;
  const huge = await digestOf(repeated(size));
  await withTempDir(async (dir) => {
    const path = `${dir}/undeclared.zip`;
    await write(
      path,
      zip([
        {
          name: "undeclared.bin",
          data: ReadableStream.from(repeated(size)),
          compression: "store",
        },
        { name: "after.txt", data: "after" },
      ], OPTIONS),
    );
    await assertOpensEverywhere(path, [
      { name: "undeclared.bin", digest: huge },
      { name: "after.txt", data: "after" },
    ], {
      refusals: [
        // Its plain local header says 16-byte descriptor; 24 bytes follow.
        { reader: "bsdtar (pipe)", message: BSDTAR_WRONG_SIZE },
        { reader: "unzipper Parse", message: UNZIPPER_REFUSAL },
      ],
    });
  });
});

Deno.test("a deflated entry over 4 GiB of unknown size not declared zip64 is read by every reader but bsdtar from a pipe and unzipper, as the README says", async () => {
  const size = FOUR_GIB + MIB + 7;
  const zeros = new Uint8Array(MIB);
  function* zeroes(): Generator<Uint8Array> {
    for (let left = size; left > 0; left -= MIB) {
      yield left >= MIB ? zeros : zeros.subarray(0, left);
    }
  }
  const digest = await digestOf(zeroes());
  await withTempDir(async (dir) => {
    const path = `${dir}/deflated.zip`;
    await write(
      path,
      zip([
        { name: "zeros.bin", data: ReadableStream.from(zeroes()), level: 1 },
        { name: "after.txt", data: "after" },
      ], OPTIONS),
    );
    const { python } = await assertOpensEverywhere(path, [
      { name: "zeros.bin", digest },
      { name: "after.txt", data: "after" },
    ], {
      refusals: [
        { reader: "bsdtar (pipe)", message: BSDTAR_WRONG_SIZE },
        { reader: "unzipper Parse", message: UNZIPPER_REFUSAL },
      ],
    });
    // Only the uncompressed size overflows.
    assert.equal(extraFields(python.entries[0]!).get(ZIP64_EXTRA_ID), 8);
  });
});

Deno.test("predictLength() equals the length of an archive with a stored entry over 4 GiB of declared size, which every reader opens", async () => {
  const size = FOUR_GIB + 12_345;
  const huge = await digestOf(repeated(size));
  const entries = (): ZipEntry[] => [
    {
      name: "declared.bin",
      data: ReadableStream.from(repeated(size)),
      size,
      compression: "store",
    },
    { name: "after/" },
    { name: "after/small.txt", data: "small", compression: "store" },
  ];
  await withTempDir(async (dir) => {
    const path = `${dir}/declared.zip`;
    const length = await write(path, zip(entries(), OPTIONS));
    assert.equal(predictLength(entries(), OPTIONS), length);
    await assertOpensEverywhere(path, [
      { name: "declared.bin", digest: huge },
      { name: "after/" },
      { name: "after/small.txt", data: "small" },
    ], {
      // A stored entry with a descriptor: unzipper reads 16 bytes of it.
      refusals: [{ reader: "unzipper Parse", message: UNZIPPER_REFUSAL }],
    });
  });
});

Deno.test("every reader opens small stored and deflated entries whose offsets pass 4 GiB", async () => {
  const partSize = 1.5 * GIB;
  const part: Digest = await digestOf(repeated(partSize));
  const prose = "offsets past 4 GiB need ZIP64 in the central directory\n"
    .repeat(1000);
  const smallEntries: [ZipEntry, ExpectedEntry][] = [
    [{ name: "small-stored.txt", data: "stored", compression: "store" }, {
      name: "small-stored.txt",
      data: "stored",
    }],
    [{ name: "small-deflated.txt", data: prose, compression: "deflate" }, {
      name: "small-deflated.txt",
      data: prose,
    }],
    [{
      name: "small-streamed.txt",
      data: ReadableStream.from([new TextEncoder().encode(prose)]),
      compression: "deflate",
    }, { name: "small-streamed.txt", data: prose }],
    [{ name: "empty.txt", data: "" }, { name: "empty.txt", data: "" }],
    [{ name: "dir/" }, { name: "dir/" }],
    [{ name: "dir/last.txt", data: "the end", comment: "last" }, {
      name: "dir/last.txt",
      data: "the end",
      comment: "last",
    }],
  ];
  await withTempDir(async (dir) => {
    const path = `${dir}/offsets.zip`;
    await write(
      path,
      zip([
        // Three parts of 1.5 GiB, each written a different way: unknown
        // size, declared size, and declared size with its CRC.
        {
          name: "part1.bin",
          data: ReadableStream.from(repeated(partSize)),
          compression: "store",
        },
        {
          name: "part2.bin",
          data: ReadableStream.from(repeated(partSize)),
          size: partSize,
          compression: "store",
        },
        {
          name: "part3.bin",
          data: ReadableStream.from(repeated(partSize)),
          size: partSize,
          crc32: part.crc32,
          compression: "store",
        },
        ...smallEntries.map(([entry]) => entry),
      ], OPTIONS),
    );
    const { python } = await assertOpensEverywhere(path, [
      { name: "part1.bin", digest: part },
      { name: "part2.bin", digest: part },
      { name: "part3.bin", digest: part },
      ...smallEntries.map(([, expected]) => expected),
    ]);
    for (const entry of python.entries) {
      const zip64 = extraFields(entry).get(ZIP64_EXTRA_ID);
      if (entry.headerOffset < FOUR_GIB) {
        assert.equal(zip64, undefined, `ZIP64 extra of ${entry.name}`);
      } else {
        // Only the offset overflows: the ZIP64 extra holds it alone.
        assert.equal(zip64, 8, `ZIP64 extra size of ${entry.name}`);
      }
    }
    assert.ok(python.entries.at(-1)!.headerOffset > FOUR_GIB);
  });
});
