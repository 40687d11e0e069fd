import assert from "node:assert/strict";
import {
  centralDirectoryHeader,
  dataDescriptor,
  localFileHeader,
  zip64Extra,
} from "./_records.ts";
import { DosClock } from "../../src/zip/_dos_date_time.ts";

const utc = new DosClock("UTC");
import {
  endOfCentralDirectory,
  endRecords,
  zip64EndOfCentralDirectory,
  zip64EndOfCentralDirectoryLocator,
} from "../../src/zip/_end_of_central_directory.ts";
import type { EntryFields } from "../../src/zip/_entry_fields.ts";
import { extendedTimestampExtra } from "../../src/zip/_extra_fields.ts";

/** Hex with spaces and comments allowed, so golden records read field by field. */
function hex(text: string): Uint8Array {
  const digits = text.replace(/#.*$/gm, "").replace(/\s+/g, "");
  return Uint8Array.from(
    digits.match(/../g) ?? [],
    (pair) => parseInt(pair, 16),
  );
}

const FIELDS: EntryFields = {
  nameBytes: new TextEncoder().encode("a.txt"),
  commentBytes: new TextEncoder().encode("hi"),
  flags: 0x0800,
  method: 8,
  dosDate: 0x5b79, // 2025-11-25
  dosTime: 0x3c20, // 07:33:00
  timestampExtra: extendedTimestampExtra(0x6925_5bc4),
  externalAttributes: 0x81a4_0000,
  aesExtra: new Uint8Array(0),
};

Deno.test("extendedTimestampExtra() writes ID, size, flags and the signed mtime", () => {
  assert.deepEqual(
    extendedTimestampExtra(0x6925_5bc4),
    hex(`5554 0500 # UT, 5 bytes
         01        # mtime present
         c45b2569  # mtime`),
  );
  assert.deepEqual(
    extendedTimestampExtra(-1),
    hex("5554 0500 01 ffffffff"),
  );
});

Deno.test("zip64Extra() writes only the values it is given, 8 bytes each", () => {
  assert.deepEqual(
    zip64Extra([0x1_0000_0000, 5]),
    hex(`0100 1000          # ZIP64, 16 bytes
         0000000001000000   # 4 GiB
         0500000000000000   # 5`),
  );
  assert.deepEqual(zip64Extra([]), hex("0100 0000"));
});

Deno.test("localFileHeader() writes a complete zip32 header", () => {
  assert.deepEqual(
    localFileHeader(FIELDS, 0x3610a686, 3, 1, false),
    hex(`504b0304  # signature
         1400      # version needed 2.0
         0008      # flags: UTF-8
         0800      # deflate
         203c 795b # time, date
         86a61036  # crc
         03000000  # compressed size
         01000000  # size
         0500 0900 # name length, extra length
         612e747874
         5554 0500 01 c45b2569`),
  );
});

Deno.test("localFileHeader() with ZIP64 puts both sizes in the extra field", () => {
  assert.deepEqual(
    localFileHeader(
      { ...FIELDS, flags: 0x0808, timestampExtra: new Uint8Array(0) },
      0,
      0,
      0,
      true,
    ),
    hex(`504b0304 2d00 0808 0800 203c 795b
         00000000 ffffffff ffffffff   # sizes deferred to ZIP64
         0500 1400 612e747874
         0100 1000 0000000000000000 0000000000000000`),
  );
});

Deno.test("dataDescriptor() writes 16 bytes, or 24 with ZIP64 sizes", () => {
  assert.deepEqual(
    dataDescriptor(0xdeadbeef, 2, 3, false),
    hex("504b0708 efbeadde 02000000 03000000"),
  );
  assert.deepEqual(
    dataDescriptor(0xdeadbeef, 0x1_0000_0002, 3, true),
    hex("504b0708 efbeadde 0200000001000000 0300000000000000"),
  );
});

Deno.test("centralDirectoryHeader() writes a zip32 header with mode and comment", () => {
  assert.deepEqual(
    centralDirectoryHeader(FIELDS, 0x3610a686, 3, 1, 0x1234, false),
    hex(`504b0102  # signature
         3f03      # made by: Unix, 6.3
         1400      # version needed 2.0
         0008 0800 203c 795b
         86a61036 03000000 01000000
         0500 0900 0200 # name, extra, comment lengths
         0000 0000 # disk, internal attributes
         0000a481  # external attributes: 0100644 << 16
         34120000  # local header offset
         612e747874
         5554 0500 01 c45b2569
         6869`),
  );
});

Deno.test("centralDirectoryHeader() moves only the overflowing fields into ZIP64", () => {
  const fields = { ...FIELDS, commentBytes: new Uint8Array(0) };
  const header = centralDirectoryHeader(
    fields,
    1,
    10,
    10,
    0x1_0000_0000,
    false,
  );
  assert.deepEqual(
    header,
    hex(`504b0102 3f03 2d00 0008 0800 203c 795b
         01000000 0a000000 0a000000 # sizes stay 32-bit
         0500 1500 0000 0000 0000 0000a481
         ffffffff                   # offset in ZIP64
         612e747874
         0100 0800 0000000001000000
         5554 0500 01 c45b2569`),
  );
  const sized = centralDirectoryHeader(
    fields,
    1,
    0xffffffff,
    0x1_0000_0001,
    7,
    true,
  );
  assert.deepEqual(
    sized.subarray(20, 24),
    hex("ffffffff"),
    "a compressed size of exactly 0xFFFFFFFF must overflow too",
  );
  assert.deepEqual(
    sized.subarray(51, 51 + 20),
    hex("0100 1000 0100000001000000 ffffffff00000000"),
  );
});

Deno.test("endOfCentralDirectory() writes counts, extent and comment", () => {
  assert.deepEqual(
    endOfCentralDirectory(
      { entryCount: 2, size: 0x5c, offset: 0x64 },
      hex("6869"),
    ),
    hex(`504b0506 0000 0000 0200 0200
         5c000000 64000000 0200 6869`),
  );
});

Deno.test("endOfCentralDirectory() saturates only the fields that overflow", () => {
  assert.deepEqual(
    endOfCentralDirectory(
      { entryCount: 70000, size: 0x10, offset: 0x1_0000_0000 },
      new Uint8Array(0),
    ),
    hex("504b0506 0000 0000 ffff ffff 10000000 ffffffff 0000"),
  );
});

Deno.test("zip64EndOfCentralDirectory() and its locator point at each other", () => {
  const extent = { entryCount: 70000, size: 0x10, offset: 0x1_0000_0000 };
  assert.deepEqual(
    zip64EndOfCentralDirectory(extent),
    hex(`504b0606 2c00000000000000 # 44 bytes follow
         3f03 2d00 00000000 00000000
         7011010000000000 7011010000000000
         1000000000000000 0000000001000000`),
  );
  assert.deepEqual(
    zip64EndOfCentralDirectoryLocator(0x1_0000_0010),
    hex("504b0607 00000000 1000000001000000 01000000"),
  );
  const records = endRecords(extent, new Uint8Array(0));
  assert.equal(records.length, 3);
  assert.deepEqual(
    records[1],
    zip64EndOfCentralDirectoryLocator(0x1_0000_0010),
  );
});

Deno.test("endRecords() stays zip32 below every limit", () => {
  const records = endRecords(
    { entryCount: 65534, size: 0xfffffffe, offset: 0 },
    new Uint8Array(0),
  );
  assert.equal(records.length, 1);
});

Deno.test('DosClock("UTC").fields() packs UTC fields and clamps to 1980-2107', () => {
  assert.deepEqual(utc.fields(Date.UTC(2025, 10, 25, 7, 33, 1)), {
    date: ((2025 - 1980) << 9) | (11 << 5) | 25,
    time: (7 << 11) | (33 << 5) | 0,
  });
  assert.deepEqual(utc.fields(Date.UTC(1970, 0, 1)), {
    date: (0 << 9) | (1 << 5) | 1,
    time: 0,
  });
  assert.deepEqual(utc.fields(Date.UTC(2200, 5, 1)), {
    date: (127 << 9) | (12 << 5) | 31,
    time: (23 << 11) | (59 << 5) | 29,
  });
});
