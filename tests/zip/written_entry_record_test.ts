import assert from "node:assert/strict";
import {
  decodeWrittenEntry,
  encodeWrittenEntry,
  type WrittenEntry,
  zip,
} from "../../mod.ts";

const ENTRY: WrittenEntry = {
  name: 'logs/"quoted" \u00e9t\u00e9.txt',
  offset: 9_007_199_254_740_000,
  end: 9_007_199_254_740_991,
  crc32: 0xffff_ffff,
  size: 5,
  compressedSize: 7,
};

Deno.test("encodeWrittenEntry() writes one line of JSON: name, offset, end, crc32, size, compressedSize", () => {
  const line = encodeWrittenEntry(ENTRY);
  assert.equal(
    line,
    '["logs/\\"quoted\\" \u00e9t\u00e9.txt",9007199254740000,9007199254740991,4294967295,5,7]',
  );
  assert.ok(!line.includes("\n"));
});

Deno.test("decodeWrittenEntry() reads back what encodeWrittenEntry() wrote, line break or not", () => {
  assert.deepEqual(decodeWrittenEntry(encodeWrittenEntry(ENTRY)), ENTRY);
  assert.deepEqual(
    decodeWrittenEntry(`${encodeWrittenEntry(ENTRY)}\r\n`),
    ENTRY,
  );
});

Deno.test("decodeWrittenEntry() reads the records zip() reports for a whole archive", async () => {
  const written: WrittenEntry[] = [];
  await new Response(
    zip([
      { name: "a.txt", data: "a".repeat(1000) },
      { name: "dir/" },
      { name: "b.bin", data: ReadableStream.from([new Uint8Array(300)]) },
    ], { onEntry: (entry) => written.push(entry) }),
  ).arrayBuffer();
  const text = written.map((entry) => `${encodeWrittenEntry(entry)}\n`).join(
    "",
  );
  const read = text.trimEnd().split("\n").map((line) =>
    decodeWrittenEntry(line)
  );
  assert.deepEqual(read, written);
  assert.equal(read.length, 3);
});

Deno.test("decodeWrittenEntry() says what it expected and what the line held", () => {
  const cases: [string, typeof TypeError | typeof RangeError, string][] = [
    [
      "",
      TypeError,
      'expected a JSON array [name, offset, end, crc32, size, compressedSize] but got ""',
    ],
    [
      '["a.txt",0,47,8915',
      TypeError,
      'expected a JSON array [name, offset, end, crc32, size, compressedSize] but got "[\\"a.txt\\",0,47,8915"',
    ],
    [
      '{"name":"a.txt"}',
      TypeError,
      'expected a JSON array [name, offset, end, crc32, size, compressedSize] but got {"name":"a.txt"}',
    ],
    [
      '["a.txt",0,47,1,3]',
      TypeError,
      "expected a JSON array [name, offset, end, crc32, size, compressedSize] but got an array",
    ],
    [
      "[7,0,47,1,3,3]",
      TypeError,
      "expected name to be a string but got 7",
    ],
    [
      '["a.txt","0",47,1,3,3]',
      TypeError,
      'of "a.txt": expected offset to be a number but got "0"',
    ],
    [
      '["a.txt",0,-1,1,3,3]',
      RangeError,
      'of "a.txt": expected end to be a whole number from 0 to 9007199254740991 but got -1',
    ],
    [
      '["a.txt",0,47,4294967296,3,3]',
      RangeError,
      'of "a.txt": expected crc32 to be a whole number from 0 to 4294967295 but got 4294967296',
    ],
    [
      '["a.txt",0,47,1,2.5,3]',
      RangeError,
      'of "a.txt": expected size to be a whole number from 0 to 9007199254740991 but got 2.5',
    ],
    [
      '["a.txt",0,47,1,3,null]',
      TypeError,
      'of "a.txt": expected compressedSize to be a number but got null',
    ],
    [
      '["a.txt",50,47,1,3,3]',
      RangeError,
      'of "a.txt": expected end to be at least offset 50 but got 47',
    ],
  ];
  for (const [line, Kind, detail] of cases) {
    const separator = detail.startsWith("of ") ? " " : ": ";
    assert.throws(() => decodeWrittenEntry(line), (error: unknown) => {
      assert.ok(error instanceof Kind, `${line}: ${error}`);
      assert.equal(
        error.message,
        `Cannot decode a written-entry record${separator}${detail}`,
      );
      return true;
    });
  }
});

Deno.test("decodeWrittenEntry() keeps the JSON error as the cause of a line that is not JSON", () => {
  assert.throws(() => decodeWrittenEntry("not json"), (error: unknown) => {
    assert.ok(error instanceof TypeError);
    assert.ok(error.cause instanceof SyntaxError);
    return true;
  });
});
