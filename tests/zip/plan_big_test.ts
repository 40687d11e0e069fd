/**
 * A planned archive past 4 GiB and 65,535 entries, generated on the fly: the
 * same bytes as `zip()` of the same entries stored, whose length
 * `predictLength()` knows, any range of it read exactly, and every reader
 * opens it. (This is also where `zip()`'s archive of 70,000 stored entries
 * given whole is opened by every reader.)
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  crc32,
  crc32Combine,
  type PlanEntry,
  planZip,
  predictLength,
  type RangedSource,
  zip,
  type ZipEntry,
} from "../../mod.ts";
import {
  assertOpensEverywhere,
  type ExpectedEntry,
  withTempDir,
} from "../_readers.ts";
import { pseudoRandom } from "../_data.ts";

const MIB = 1024 * 1024;
const HUGE_SIZE = 4 * 1024 * MIB + 4321;
const READ_SIZE = 100 * MIB + 17;
const SMALL_COUNT = 70_000;
const OPTIONS = { lastModified: Date.UTC(2026, 11, 6, 3, 4, 5) };
const BLOCK = pseudoRandom(MIB, 20261206);
const BLOCK_CRC = crc32(BLOCK);

/** `size` bytes of BLOCK repeated, readable from any offset. */
function repeatedSource(size: number): RangedSource & { requests: number } {
  return {
    size,
    requests: 0,
    read(start, end) {
      this.requests++;
      let position = start;
      return new ReadableStream({
        pull(controller) {
          if (position >= end) return controller.close();
          const within = position % MIB;
          const until = Math.min(end, position - within + MIB);
          controller.enqueue(BLOCK.slice(within, within + until - position));
          position = until;
        },
      }, { highWaterMark: 0 });
    },
  };
}

/** The CRC of `size` bytes of BLOCK repeated, without reading them. */
function repeatedCrc(size: number): number {
  let crc = 0;
  for (let left = size; left > 0; left -= MIB) {
    crc = left >= MIB
      ? crc32Combine(crc, BLOCK_CRC, MIB)
      : crc32Combine(crc, crc32(BLOCK.subarray(0, left)), left);
  }
  return crc;
}

function smallText(i: number): string {
  return `small entry ${i}\n`;
}

/** The archive's entries, for planZip or for zip(). */
function entries<T extends "plan" | "zip">(
  shape: T,
): T extends "plan" ? PlanEntry[] : ZipEntry[] {
  const data = (size: number) =>
    shape === "plan"
      ? repeatedSource(size)
      : repeatedSource(size).read(0, size);
  const list = [
    {
      name: "huge.bin",
      data: data(HUGE_SIZE),
      size: HUGE_SIZE,
      crc32: repeatedCrc(HUGE_SIZE),
    },
    // Its CRC is read by planZip, in parallel ranges.
    {
      name: "read.bin",
      data: data(READ_SIZE),
      size: READ_SIZE,
      ...(shape === "zip" ? { crc32: repeatedCrc(READ_SIZE) } : {}),
    },
    { name: "small/" },
    ...Array.from({ length: SMALL_COUNT }, (_, i) => ({
      name: `small/${i}.txt`,
      data: smallText(i),
    })),
  ];
  return list as T extends "plan" ? PlanEntry[] : ZipEntry[];
}

/** Reads `stream` and the file at `path` side by side, failing at the first difference. */
async function assertSameBytes(
  stream: ReadableStream<Uint8Array>,
  path: string,
  start = 0,
): Promise<number> {
  using file = await Deno.open(path);
  await file.seek(start, Deno.SeekMode.Start);
  let offset = start;
  for await (const chunk of stream) {
    const expected = new Uint8Array(chunk.length);
    let filled = 0;
    while (filled < chunk.length) {
      const read = await file.read(expected.subarray(filled));
      assert.ok(read !== null, `the file ends before byte ${offset + filled}`);
      filled += read;
    }
    // Buffer's comparison is native: a loop in JavaScript takes seconds here.
    if (
      !Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length).equals(
        expected,
      )
    ) {
      const at = chunk.findIndex((byte, i) => byte !== expected[i]);
      assert.fail(`the bytes differ at offset ${offset + at}`);
    }
    offset += chunk.length;
  }
  return offset - start;
}

Deno.test("a plan past 4 GiB and 65,535 entries is byte-identical to zip(), slices exactly, and opens in every reader", async () => {
  const plan = await planZip(entries("plan"), OPTIONS);
  assert.equal(plan.entries[1]!.crc32, repeatedCrc(READ_SIZE));
  const zipOptions = { ...OPTIONS, compression: "store" as const };
  assert.equal(predictLength(entries("zip"), zipOptions), plan.size);
  await withTempDir(async (dir) => {
    const path = `${dir}/planned.zip`;
    await plan.slice(0).pipeTo((await Deno.create(path)).writable);
    assert.equal((await Deno.stat(path)).size, plan.size);
    const zipped = zip(entries("zip"), zipOptions);
    assert.equal(await assertSameBytes(zipped, path), plan.size);
    // Ranges around every place where ZIP64 begins to matter.
    const huge = plan.entries[0]!;
    const after = plan.entries[1]!;
    const points = [
      huge.dataOffset,
      huge.dataOffset + 2 ** 32 - 1,
      after.offset,
      after.dataOffset + after.size,
      plan.entries[SMALL_COUNT]!.offset,
      plan.size - 200,
    ];
    for (const point of points) {
      const start = Math.max(0, point - 5000);
      const end = Math.min(plan.size, point + 5000);
      assert.equal(
        await assertSameBytes(plan.slice(start, end), path, start),
        end - start,
      );
    }
    const expected: ExpectedEntry[] = [
      { name: "huge.bin", digest: { size: HUGE_SIZE, crc32: huge.crc32 } },
      { name: "read.bin", digest: { size: READ_SIZE, crc32: after.crc32 } },
      { name: "small/" },
      ...Array.from({ length: SMALL_COUNT }, (_, i) => ({
        name: `small/${i}.txt`,
        data: smallText(i),
      })),
    ];
    const { python } = await assertOpensEverywhere(path, expected);
    assert.equal(python.entries.length, SMALL_COUNT + 3);
    assert.ok(python.entries.at(-1)!.headerOffset > 2 ** 32);
  });
});
