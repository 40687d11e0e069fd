import assert from "node:assert/strict";
import {
  predictLength,
  zip,
  type ZipEntry,
  type ZipOptions,
} from "../../mod.ts";
import { bytesOf } from "../_data.ts";
import { assertOpensEverywhere } from "../_readers.ts";

/** Reads the whole archive, returning the error it fails with. */
async function archiveError(
  entries: unknown[],
  options?: ZipOptions,
): Promise<unknown> {
  try {
    await new Response(zip(entries as ZipEntry[], options)).arrayBuffer();
  } catch (error) {
    return error;
  }
  assert.fail("expected the archive to fail");
}

async function assertRejects(
  entries: unknown[],
  errorClass: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  message: string,
): Promise<void> {
  const error = await archiveError(entries);
  assert.ok(
    error instanceof errorClass,
    `expected ${errorClass.name}, got ${error}`,
  );
  assert.equal((error as Error).message, message);
}

const BAD_NAMES: [unknown, ErrorConstructor, string][] = [
  [
    "",
    TypeError,
    'Cannot add "" to the archive: expected a name but received an empty string',
  ],
  [
    "/etc/passwd",
    TypeError,
    'Cannot add "/etc/passwd" to the archive: expected a relative path but received an absolute one',
  ],
  [
    "C:\\x",
    TypeError,
    'Cannot add "C:\\\\x" to the archive: a name cannot contain a backslash: use "/" to separate folders',
  ],
  [
    "C:x",
    TypeError,
    'Cannot add "C:x" to the archive: expected a relative path but received an absolute one',
  ],
  [
    "a\\b.txt",
    TypeError,
    'Cannot add "a\\\\b.txt" to the archive: a name cannot contain a backslash: use "/" to separate folders',
  ],
  [
    "../up.txt",
    TypeError,
    'Cannot add "../up.txt" to the archive: a name cannot contain a ".." segment',
  ],
  [
    "a/../../b",
    TypeError,
    'Cannot add "a/../../b" to the archive: a name cannot contain a ".." segment',
  ],
  [
    "a/./b",
    TypeError,
    'Cannot add "a/./b" to the archive: a name cannot contain a "." segment',
  ],
  [
    "a//b",
    TypeError,
    'Cannot add "a//b" to the archive: a name cannot contain an empty segment',
  ],
  [
    "a/..",
    TypeError,
    'Cannot add "a/.." to the archive: a name cannot contain a ".." segment',
  ],
  [
    "./",
    TypeError,
    'Cannot add "./" to the archive: a name cannot contain a "." segment',
  ],
  [
    "a//",
    TypeError,
    'Cannot add "a//" to the archive: a name cannot contain an empty segment',
  ],
  [
    "nul\0.txt",
    TypeError,
    'Cannot add "nul\\u0000.txt" to the archive: a name cannot contain a NUL character',
  ],
  [
    "bad\ud800.txt",
    TypeError,
    'Cannot add "bad\\ud800.txt" to the archive: a name cannot contain a lone UTF-16 surrogate',
  ],
  [
    42,
    TypeError,
    "Cannot add the entry at index 0 to the archive: expected its name to be a string but received number 42",
  ],
];

Deno.test("zip() accepts names whose segments only start with dots", async () => {
  const names = [".hidden", "a/..b", "a/.../c", "..x/", "a/b./"];
  const archive = await bytesOf(
    zip(names.map((name) => ({ name, data: name.endsWith("/") ? "" : name }))),
  );
  await assertOpensEverywhere(
    archive,
    names.map((name) => name.endsWith("/") ? { name } : { name, data: name }),
  );
});

for (const [name, errorClass, message] of BAD_NAMES) {
  Deno.test(`zip() rejects the name ${JSON.stringify(name)}`, async () => {
    await assertRejects([{ name, data: "x" }], errorClass, message);
  });
}

Deno.test("zip() rejects a name over 65,535 bytes of UTF-8", async () => {
  const name = "é".repeat(32768);
  await assertRejects(
    [{ name, data: "x" }],
    RangeError,
    `Cannot add ${
      JSON.stringify("é".repeat(40) + "…")
    } to the archive: expected a name of at most 65535 bytes of UTF-8 but received 65536`,
  );
});

Deno.test("zip() accepts a name of exactly 65,535 bytes", async () => {
  const bytes = await new Response(
    zip([{ name: "a".repeat(65535), data: "x" }]),
  )
    .arrayBuffer();
  assert.ok(bytes.byteLength > 2 * 65535);
});

Deno.test("zip() rejects a duplicate name, and a file and folder of the same name", async () => {
  await assertRejects(
    [{ name: "a.txt", data: "1" }, { name: "a.txt", data: "2" }],
    TypeError,
    'Cannot add "a.txt" to the archive: an entry with that name is already in the archive',
  );
  await assertRejects(
    [{ name: "logs" }, { name: "logs/" }],
    TypeError,
    'Cannot add "logs/" to the archive: an entry with that name is already in the archive',
  );
});

Deno.test("zip() rejects data of an unknown kind and chunks that are not bytes", async () => {
  await assertRejects(
    [{ name: "n.txt", data: 42 }],
    TypeError,
    'Cannot add "n.txt" to the archive: expected its data to be a string, Uint8Array (or other ArrayBufferView), ArrayBuffer, Blob, ReadableStream or (async) iterable of Uint8Array but received number 42',
  );
  const error = await archiveError([{ name: "s.txt", data: ["text"] }]);
  assert.ok(error instanceof TypeError);
  assert.equal(
    error.message,
    'Cannot add "s.txt" to the archive: expected its source to give Uint8Array (or other ArrayBufferView, or ArrayBuffer) chunks but received the string "text"',
  );
});

Deno.test("zip() rejects a directory with data", async () => {
  await assertRejects(
    [{ name: "d/", data: "x" }],
    TypeError,
    'Cannot add "d/" to the archive: a directory cannot have data, but 1 bytes were given',
  );
});

Deno.test("zip() rejects entry fields out of range", async () => {
  await assertRejects(
    [{ name: "a", data: "x", level: 10 }],
    RangeError,
    'Cannot add "a" to the archive: invalid level: expected an integer from 0 to 9 but received number 10',
  );
  await assertRejects(
    [{ name: "a", data: "x", compression: "bzip2" }],
    TypeError,
    'Cannot add "a" to the archive: invalid compression: expected "store" or "deflate" but received the string "bzip2"',
  );
  await assertRejects(
    [{ name: "a", data: "x", mode: 0o1000000 }],
    RangeError,
    'Cannot add "a" to the archive: expected mode to be an integer from 0 to 0o177777 but received number 262144',
  );
  await assertRejects(
    [{ name: "a", data: "x", size: -1 }],
    RangeError,
    'Cannot add "a" to the archive: expected size to be a non-negative safe integer but received number -1',
  );
  await assertRejects(
    [{ name: "a", data: "x", crc32: 2 ** 32 }],
    RangeError,
    'Cannot add "a" to the archive: expected crc32 to be an integer from 0 to 0xffffffff but received number 4294967296',
  );
  await assertRejects(
    [{ name: "a", data: "x", lastModified: new Date("nope") }],
    TypeError,
    'Cannot add "a" to the archive: invalid lastModified: expected a valid Date or epoch milliseconds but received an object (Date)',
  );
  await assertRejects(
    [{ name: "a", data: "x", comment: "c".repeat(65536) }],
    RangeError,
    'Cannot add "a" to the archive: expected a comment of at most 65535 bytes of UTF-8 but received 65536',
  );
});

Deno.test("zip() rejects a size that disagrees with the data, naming both numbers", async () => {
  await assertRejects(
    [{ name: "known.txt", data: "12345", size: 4 }],
    RangeError,
    'Cannot add "known.txt" to the archive: declared size 4 but the data holds 5 bytes',
  );
  await assertRejects(
    [{ name: "short.bin", data: [new Uint8Array(3)], size: 10 }],
    RangeError,
    'Cannot add "short.bin" to the archive: declared size 10 but the source gave 3 bytes',
  );
  await assertRejects(
    [{
      name: "long.bin",
      data: [new Uint8Array(8), new Uint8Array(8)],
      size: 10,
    }],
    RangeError,
    'Cannot add "long.bin" to the archive: declared size 10 but the source gave at least 16 bytes',
  );
});

Deno.test("zip() rejects a crc32 that disagrees with the data", async () => {
  await assertRejects(
    [{ name: "c.txt", data: "abc", crc32: 1 }],
    Error,
    'Cannot add "c.txt" to the archive: declared crc32 0x00000001 but the data has 0x352441c2',
  );
  await assertRejects(
    [{
      name: "s.txt",
      data: [new TextEncoder().encode("abc")],
      size: 3,
      crc32: 1,
      compression: "store",
    }],
    Error,
    'Cannot add "s.txt" to the archive: declared crc32 0x00000001 but the data has 0x352441c2',
  );
});

Deno.test("zip() throws at once for bad options and entries that are not iterable", () => {
  assert.throws(
    () => zip([], { level: -1 }),
    new RangeError(
      "Cannot create the archive: invalid option level: expected an integer from 0 to 9 but received number -1",
    ),
  );
  assert.throws(
    () => zip([], { compression: "zstd" as "store" }),
    new TypeError(
      'Cannot create the archive: invalid option compression: expected "store" or "deflate" but received the string "zstd"',
    ),
  );
  assert.throws(
    () => zip([], { comment: "c".repeat(65536) }),
    new RangeError(
      "Cannot create the archive: invalid option comment: expected at most 65535 bytes of UTF-8 but received 65536",
    ),
  );
  assert.throws(
    () => zip(42 as unknown as ZipEntry[]),
    new TypeError(
      "Cannot create the archive: expected entries to be an iterable, async iterable or ReadableStream but received number 42",
    ),
  );
});

Deno.test("predictLength() names the entry whose length cannot be known", () => {
  assert.throws(
    () => predictLength([{ name: "a.txt", data: "abc" }]),
    new TypeError(
      'Cannot predict the archive\'s length: "a.txt" is compressed with deflate, whose output size is unknown until it is written; store it instead',
    ),
  );
  assert.throws(
    () =>
      predictLength([{
        name: "s.bin",
        data: [new Uint8Array(1)],
        compression: "store",
      }]),
    new TypeError(
      'Cannot predict the archive\'s length: the size of "s.bin" is unknown; give the entry a size',
    ),
  );
  assert.throws(
    () =>
      predictLength([{ name: "a", data: "1" }, { name: "a", data: "2" }], {
        compression: "store",
      }),
    new TypeError(
      'Cannot add "a" to the archive: an entry with that name is already in the archive',
    ),
  );
});
