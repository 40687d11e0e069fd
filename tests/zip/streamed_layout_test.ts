/**
 * The records around streamed entries, read from the archive's bytes: an
 * entry of unknown size gets a zip32 local header and a data descriptor as
 * wide as its sizes need (16 bytes below 4 GiB), `zip64: true` gets the
 * ZIP64 layout, and `predictLength()` agrees with both.
 */

import assert from "node:assert/strict";
import { crc32, predictLength, zip, type ZipEntry } from "../../mod.ts";
import { bytesOf, pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere } from "../_readers.ts";

const encoder = new TextEncoder();

const OPTIONS = { lastModified: Date.UTC(2026, 2, 4, 5, 6, 8) };
const LOCAL_SIGNATURE = 0x04034b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const ZIP64_EXTRA_ID = 0x0001;
const DESCRIPTOR_FLAG = 0x0008;

interface LocalRecord {
  versionNeeded: number;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Extra field IDs and their data. */
  extras: Map<number, Uint8Array>;
  /** Where the data starts. */
  dataOffset: number;
}

interface CentralRecord {
  name: string;
  versionNeeded: number;
  compressedSize: number;
  size: number;
  localOffset: number;
  extras: Map<number, Uint8Array>;
}

function extrasOf(bytes: Uint8Array): Map<number, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const extras = new Map<number, Uint8Array>();
  for (let at = 0; at + 4 <= bytes.length;) {
    const length = view.getUint16(at + 2, true);
    extras.set(
      view.getUint16(at, true),
      bytes.subarray(at + 4, at + 4 + length),
    );
    at += 4 + length;
  }
  return extras;
}

function localAt(archive: Uint8Array, offset: number): LocalRecord {
  const view = new DataView(archive.buffer, archive.byteOffset);
  assert.equal(
    view.getUint32(offset, true),
    LOCAL_SIGNATURE,
    `local header at ${offset}`,
  );
  const nameLength = view.getUint16(offset + 26, true);
  const extraLength = view.getUint16(offset + 28, true);
  const extraStart = offset + 30 + nameLength;
  return {
    versionNeeded: view.getUint16(offset + 4, true),
    flags: view.getUint16(offset + 6, true),
    method: view.getUint16(offset + 8, true),
    crc32: view.getUint32(offset + 14, true),
    compressedSize: view.getUint32(offset + 18, true),
    size: view.getUint32(offset + 22, true),
    extras: extrasOf(archive.subarray(extraStart, extraStart + extraLength)),
    dataOffset: extraStart + extraLength,
  };
}

/** The central directory, read from its first header on. */
function centralRecords(archive: Uint8Array): CentralRecord[] {
  const view = new DataView(archive.buffer, archive.byteOffset);
  // The end record (no comment here) says where the directory starts.
  const end = archive.length - 22;
  let at = view.getUint32(end + 16, true);
  const records: CentralRecord[] = [];
  while (view.getUint32(at, true) === CENTRAL_SIGNATURE) {
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const name = new TextDecoder().decode(
      archive.subarray(at + 46, at + 46 + nameLength),
    );
    const extraStart = at + 46 + nameLength;
    records.push({
      name,
      versionNeeded: view.getUint16(at + 6, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localOffset: view.getUint32(at + 42, true),
      extras: extrasOf(archive.subarray(extraStart, extraStart + extraLength)),
    });
    at = extraStart + extraLength + commentLength;
  }
  return records;
}

/**
 * The length of the descriptor after an entry's data: the bytes between
 * the data's end and the next record, which must start there.
 */
function descriptorLength(
  archive: Uint8Array,
  dataEnd: number,
): number {
  const view = new DataView(archive.buffer, archive.byteOffset);
  assert.equal(
    view.getUint32(dataEnd, true),
    DESCRIPTOR_SIGNATURE,
    "descriptor signature",
  );
  for (const length of [16, 24]) {
    const next = view.getUint32(dataEnd + length, true);
    if (next === LOCAL_SIGNATURE || next === CENTRAL_SIGNATURE) return length;
  }
  assert.fail(`no record follows the descriptor at ${dataEnd}`);
}

async function layoutOf(entries: ZipEntry[]) {
  const archive = await bytesOf(zip(entries, OPTIONS));
  return centralRecords(archive).map((central) => {
    const local = localAt(archive, central.localOffset);
    const dataEnd = local.dataOffset + central.compressedSize;
    return {
      central,
      local,
      descriptor: local.flags & DESCRIPTOR_FLAG
        ? descriptorLength(archive, dataEnd)
        : 0,
    };
  });
}

const stream = (data: Uint8Array) => ReadableStream.from([data]);

Deno.test("a streamed entry of unknown size has a zip32 local header and a 16-byte descriptor", async () => {
  const text = new TextEncoder().encode("abc");
  const random = pseudoRandom(200_000, 4);
  const layouts = await layoutOf([
    { name: "tiny.txt", data: stream(text) },
    { name: "stored.bin", data: stream(random), compression: "store" },
    {
      name: "stored-sized.bin",
      data: stream(random),
      size: random.length,
      compression: "store",
    },
    { name: "deflated.bin", data: stream(random), compression: "deflate" },
    { name: "sized.bin", data: stream(random), size: random.length },
  ]);
  for (const { central, local, descriptor } of layouts) {
    assert.equal(local.versionNeeded, 20, `${central.name}: version needed`);
    assert.equal(
      local.extras.has(ZIP64_EXTRA_ID),
      false,
      `${central.name}: local ZIP64 extra`,
    );
    assert.equal(local.crc32, 0, `${central.name}: local CRC deferred`);
    assert.equal(
      local.compressedSize,
      0,
      `${central.name}: local size deferred`,
    );
    assert.equal(descriptor, 16, `${central.name}: descriptor length`);
    assert.equal(
      central.versionNeeded,
      20,
      `${central.name}: central version needed`,
    );
    assert.equal(
      central.extras.has(ZIP64_EXTRA_ID),
      false,
      `${central.name}: central ZIP64 extra`,
    );
  }
});

Deno.test("zip64: true gives a streamed entry a ZIP64 local header and a 24-byte descriptor", async () => {
  const layouts = await layoutOf([
    { name: "tiny.txt", data: stream(new Uint8Array([1, 2, 3])), zip64: true },
    {
      name: "stored.bin",
      data: stream(pseudoRandom(1000, 5)),
      compression: "store",
      zip64: true,
    },
  ]);
  for (const { central, local, descriptor } of layouts) {
    assert.equal(local.versionNeeded, 45, `${central.name}: version needed`);
    assert.equal(local.compressedSize, 0xffffffff);
    assert.equal(local.size, 0xffffffff);
    assert.deepEqual(
      [...local.extras.get(ZIP64_EXTRA_ID) ?? []],
      new Array(16).fill(0),
      `${central.name}: zeroed ZIP64 sizes in the local header`,
    );
    assert.equal(descriptor, 24, `${central.name}: descriptor length`);
    assert.equal(
      central.versionNeeded,
      45,
      `${central.name}: central version needed`,
    );
  }
});

Deno.test("zip64: true gives data known up front ZIP64 sizes in its local header", async () => {
  const data = pseudoRandom(1000, 6);
  const [layout] = await layoutOf([
    { name: "known.bin", data, compression: "store", zip64: true },
  ]);
  const { local, descriptor } = layout!;
  assert.equal(descriptor, 0);
  assert.equal(local.crc32, crc32(data));
  const extra = new DataView(local.extras.get(ZIP64_EXTRA_ID)!.slice().buffer);
  assert.equal(Number(extra.getBigUint64(0, true)), 1000, "size");
  assert.equal(Number(extra.getBigUint64(8, true)), 1000, "compressed size");
});

Deno.test("predictLength() knows the length of every stored layout, with and without zip64", async () => {
  const data = pseudoRandom(5000, 7);
  const entries = (): ZipEntry[] => [
    {
      name: "a.bin",
      data: stream(data),
      size: data.length,
      compression: "store",
    },
    {
      name: "b.bin",
      data: stream(data),
      size: data.length,
      compression: "store",
      zip64: true,
    },
    {
      name: "c.bin",
      data: stream(data),
      size: data.length,
      crc32: crc32(data),
      compression: "store",
      zip64: true,
    },
    { name: "d.bin", data, compression: "store", zip64: true },
    { name: "e.bin", data, compression: "store" },
  ];
  const archive = await bytesOf(zip(entries(), OPTIONS));
  assert.equal(predictLength(entries(), OPTIONS), archive.length);
});

Deno.test("with zip64: true a small streamed entry opens in every reader but Java's ZipInputStream before JDK 21 and unzipper, which refuse it as the README says", async () => {
  const text = "a small entry declared as possibly large\n".repeat(100);
  await assertOpensEverywhere(
    zip([
      {
        name: "declared-large.txt",
        data: stream(encoder.encode(text)),
        zip64: true,
      },
      { name: "after.txt", data: "after" },
    ], OPTIONS),
    [{ name: "declared-large.txt", data: text }, {
      name: "after.txt",
      data: "after",
    }],
    {
      refusals: [
        { reader: "java ZipInputStream", message: /invalid entry size/ },
        { reader: "unzipper Parse", message: /invalid signature|FILE_ENDED/ },
      ],
    },
  );
});

Deno.test("the reader check fails when a streaming reader refuses an archive it was not expected to refuse", async () => {
  await assert.rejects(
    assertOpensEverywhere(
      zip(
        [{ name: "a.txt", data: stream(encoder.encode("abc")), zip64: true }],
        OPTIONS,
      ),
      [{ name: "a.txt", data: "abc" }],
    ),
    (error: Error) =>
      /java ZipInputStream: failed: java\.util\.zip\.ZipException: invalid entry size/
        .test(error.message) && /unzipper Parse: failed/.test(error.message),
  );
});
