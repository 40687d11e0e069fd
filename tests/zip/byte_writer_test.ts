import assert from "node:assert/strict";
import { concat } from "../_data.ts";
import {
  centralDirectoryHeader,
  dataDescriptor,
  localFileHeader,
} from "./_records.ts";
import { ByteWriter, recordBytes } from "../../src/zip/_byte_writer.ts";
import { writeCentralDirectoryHeader } from "../../src/zip/_central_directory_header.ts";
import { writeDataDescriptor } from "../../src/zip/_data_descriptor.ts";
import type { EntryFields } from "../../src/zip/_entry_fields.ts";
import { extendedTimestampExtra } from "../../src/zip/_extra_fields.ts";
import { writeLocalFileHeader } from "../../src/zip/_local_file_header.ts";

const FIELDS: EntryFields = {
  nameBytes: new TextEncoder().encode("dir/b.bin"),
  commentBytes: new TextEncoder().encode("note"),
  flags: 0x0808,
  method: 0,
  dosDate: 0x5b79,
  dosTime: 0x3c20,
  timestampExtra: extendedTimestampExtra(0x6925_5bc4),
  externalAttributes: 0x81a4_0000,
  aesExtra: new Uint8Array(0),
};

Deno.test("ByteWriter writes little-endian values into a view at its own offset", () => {
  const buffer = new Uint8Array(24).fill(0xee);
  const view = buffer.subarray(4, 20);
  const writer = new ByteWriter().moveTo(view, 1);
  writer.uint8(0x01).uint16(0x0302).uint32(0x07060504).uint64(
    0x0d_0c0b_0a09,
  );
  assert.equal(writer.position, 16);
  assert.deepEqual(
    Array.from(buffer),
    [0xee, 0xee, 0xee, 0xee, 0xee, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 0, 0]
      .concat([0, 0xee, 0xee, 0xee, 0xee]),
  );
});

Deno.test("ByteWriter moved to another array writes there, and back again", () => {
  const first = new Uint8Array(4);
  const second = new Uint8Array(4);
  const writer = new ByteWriter();
  writer.moveTo(first, 0).uint16(0x0201);
  writer.moveTo(second, 2).uint16(0x0403);
  writer.moveTo(first, 2).uint16(0x0605);
  assert.deepEqual(first, Uint8Array.of(1, 2, 5, 6));
  assert.deepEqual(second, Uint8Array.of(0, 0, 3, 4));
});

Deno.test("recordBytes() refuses a record that does not fill its length exactly", () => {
  assert.throws(
    () => recordBytes(6, (writer) => writer.uint32(1)),
    new RangeError("Cannot finish a ZIP record: expected 6 bytes but wrote 4"),
  );
  assert.deepEqual(
    recordBytes(2, (writer) => writer.uint16(0xabcd)),
    Uint8Array.of(0xcd, 0xab),
  );
});

Deno.test("records written in place, back to back, equal the records built one by one", () => {
  const records = [
    localFileHeader(FIELDS, 0, 0, 0, true),
    dataDescriptor(0xdeadbeef, 0x1_0000_0002, 3, true),
    centralDirectoryHeader(FIELDS, 0xdeadbeef, 0x1_0000_0002, 3, 0x1234, true),
    localFileHeader(FIELDS, 0x3610a686, 3, 1, false),
    dataDescriptor(0xdeadbeef, 2, 3, false),
    centralDirectoryHeader(FIELDS, 1, 10, 10, 0x1_0000_0000, false),
  ];
  const expected = concat(records);
  const block = new Uint8Array(expected.length + 8).fill(0xee);
  const writer = new ByteWriter().moveTo(block.subarray(3), 0);
  writeLocalFileHeader(writer, FIELDS, 0, 0, 0, true);
  writeDataDescriptor(writer, 0xdeadbeef, 0x1_0000_0002, 3, true);
  writeCentralDirectoryHeader(
    writer,
    FIELDS,
    0xdeadbeef,
    0x1_0000_0002,
    3,
    0x1234,
    true,
  );
  writeLocalFileHeader(writer, FIELDS, 0x3610a686, 3, 1, false);
  writeDataDescriptor(writer, 0xdeadbeef, 2, 3, false);
  writeCentralDirectoryHeader(writer, FIELDS, 1, 10, 10, 0x1_0000_0000, false);
  assert.equal(writer.position, expected.length);
  assert.deepEqual(block.subarray(3, 3 + expected.length), expected);
  assert.deepEqual(block.subarray(0, 3), Uint8Array.of(0xee, 0xee, 0xee));
  assert.deepEqual(
    block.subarray(3 + expected.length),
    new Uint8Array(5).fill(0xee),
  );
});
