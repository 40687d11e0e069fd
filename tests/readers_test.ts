/**
 * Tests of the test readers themselves (`_readers.ts`), on archives that
 * Python's `zipfile` writes, not zipstream: that every reader opens the usual
 * layouts, that a layout a reader refuses fails the assertion naming that
 * reader, and that the streaming readers' stop at a stored entry with a data
 * descriptor is asserted, not just allowed.
 */

import assert from "node:assert/strict";
import { AssertionError } from "node:assert/strict";
import { Buffer } from "node:buffer";
import { crc32 } from "node:zlib";
import { pseudoRandom } from "./_data.ts";
import {
  assertOpensEverywhere,
  type ExpectedEntry,
  withTempDir,
} from "./_readers.ts";

const STORED = 0;
const DEFLATED = 8;

interface PythonEntry {
  name: string;
  data: Uint8Array | string;
  /** @default {DEFLATED} */
  method?: number;
  /** `force_zip64`: a ZIP64 local extra field, and a 24-byte descriptor. */
  zip64?: boolean;
}

// Written to a pipe, zipfile cannot seek back to the local header: it sets
// flag bit 3, leaves the header's sizes and CRC at 0 and writes a descriptor.
const PYTHON_WRITER = `
import base64, io, json, sys, zipfile

class Pipe(io.RawIOBase):
    def __init__(self, file):
        self.file = file
    def writable(self):
        return True
    def write(self, data):
        return self.file.write(data)

spec = json.load(sys.stdin)
with open(spec["path"], "wb") as file:
    out = Pipe(file) if spec["pipe"] else file
    with zipfile.ZipFile(out, "w") as archive:
        for entry in spec["entries"]:
            info = zipfile.ZipInfo(entry["name"], (2026, 3, 4, 5, 6, 8))
            info.compress_type = entry["method"]
            data = base64.b64decode(entry["data"])
            if entry["name"].endswith("/"):
                archive.writestr(info, data)
                continue
            with archive.open(info, "w", force_zip64=entry["zip64"]) as member:
                member.write(data)
`;

/** Writes an archive with Python's `zipfile`, to a file or as if to a pipe. */
async function pythonZip(
  path: string,
  entries: readonly PythonEntry[],
  { pipe }: { pipe: boolean },
): Promise<void> {
  const child = new Deno.Command("python3", {
    args: ["-c", PYTHON_WRITER],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const spec = JSON.stringify({
    path,
    pipe,
    entries: entries.map((entry) => ({
      name: entry.name,
      data: Buffer.from(entry.data).toString("base64"),
      method: entry.method ?? DEFLATED,
      zip64: entry.zip64 ?? false,
    })),
  });
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(spec));
  await writer.close();
  const output = await child.output();
  assert.equal(
    output.code,
    0,
    `python3 zipfile: ${new TextDecoder().decode(output.stderr)}`,
  );
}

const expectedOf = (entries: readonly PythonEntry[]): ExpectedEntry[] =>
  entries.map(({ name, data }) => ({ name, data }));

/** The names of the readers an assertion's message reports problems of. */
function readersIn(error: AssertionError): string[] {
  const lines = error.message.split("\n").slice(1);
  return [...new Set(lines.map((line) => line.split(":")[0]!))].sort();
}

const RANDOM = pseudoRandom(300_000, 7);
const TEXT = "a line of text that deflate shrinks\n".repeat(500);
// Stored bytes of unknown size that hold a data descriptor's signature.
const WITH_SIGNATURE = `before PK\x07\x08 and after, ${"x".repeat(100)}`;

Deno.test("every reader opens an archive written to a file, directories included", async () => {
  const entries: PythonEntry[] = [
    { name: "docs/", data: "", method: STORED },
    { name: "docs/readme.txt", data: TEXT },
    { name: "random.bin", data: RANDOM, method: STORED },
    { name: "empty.txt", data: "" },
    { name: "caf\u00e9 \u00fcber.txt", data: "unicode name" },
  ];
  await withTempDir(async (dir) => {
    await pythonZip(`${dir}/plain.zip`, entries, { pipe: false });
    const { javaStream, javaFile, unzipper } = await assertOpensEverywhere(
      `${dir}/plain.zip`,
      expectedOf(entries),
    );
    for (const listing of [javaStream, javaFile, unzipper]) {
      assert.equal(listing.error, undefined);
      assert.deepEqual(
        listing.entries.map((entry) => [entry.name, entry.isDirectory]),
        entries.map(({ name }) => [name, name.endsWith("/")]),
      );
    }
    assert.equal(javaFile.entries[2]!.declaredSize, RANDOM.length);
    assert.equal(javaFile.entries[2]!.method, STORED);
  });
});

Deno.test("contents of the right size but with a changed byte fail the assertion, naming every reader and what each received", async () => {
  const entries: PythonEntry[] = [
    { name: "random.bin", data: RANDOM, method: STORED },
    { name: "text.txt", data: TEXT },
  ];
  await withTempDir(async (dir) => {
    await pythonZip(`${dir}/changed.zip`, entries, { pipe: false });
    const changed = RANDOM.slice();
    changed[150_000] = changed[150_000]! ^ 0x01;
    const expected = expectedOf(entries);
    expected[0] = { name: "random.bin", data: changed };
    const crc = (data: Uint8Array) =>
      `0x${(crc32(data) >>> 0).toString(16).padStart(8, "0")}`;
    await assert.rejects(
      assertOpensEverywhere(`${dir}/changed.zip`, expected),
      (error) => {
        assert.ok(error instanceof AssertionError, String(error));
        // The readers that hand out the bytes: their CRC-32, taken by the
        // harness, against the expected bytes'.
        for (
          const reader of [
            "python zipfile",
            "bsdtar (pipe)",
            "java ZipFile",
            "java ZipInputStream",
            "unzipper Parse",
          ]
        ) {
          assert.ok(
            error.message.includes(
              `${reader}: entry "random.bin": content CRC-32 is "${
                crc(RANDOM)
              }", expected "${crc(changed)}"`,
            ),
            `${reader} in ${error.message}`,
          );
        }
        // The sizes agree: only the contents differ, and only the changed
        // entry's.
        assert.doesNotMatch(error.message, /bytes read|bytes extracted/);
        assert.doesNotMatch(error.message, /text\.txt/);
        assert.deepEqual(readersIn(error), [
          "7z",
          "bsdtar (pipe)",
          "java ZipFile",
          "java ZipInputStream",
          "python zipfile",
          "unzip",
          "unzipper Parse",
        ]);
        return true;
      },
    );
  });
});

Deno.test("every reader opens deflated entries of unknown size, each with a zip32 local header and a 16-byte descriptor", async () => {
  const entries: PythonEntry[] = [
    { name: "text.txt", data: TEXT },
    { name: "random.bin", data: RANDOM },
    { name: "empty.txt", data: "" },
  ];
  await withTempDir(async (dir) => {
    await pythonZip(`${dir}/piped.zip`, entries, { pipe: true });
    const { python, javaStream, unzipper } = await assertOpensEverywhere(
      `${dir}/piped.zip`,
      expectedOf(entries),
    );
    assert.ok(python.entries.every((entry) => entry.flagBits & 0x0008));
    assert.equal(javaStream.entries.length, entries.length);
    assert.equal(unzipper.entries.length, entries.length);
  });
});

Deno.test("a small deflated entry with a ZIP64 local header and a 24-byte descriptor fails the assertion, naming Java's ZipInputStream and unzipper", async () => {
  const entries: PythonEntry[] = [
    { name: "before.txt", data: "read right" },
    { name: "small.txt", data: TEXT, zip64: true },
    { name: "after.txt", data: "after" },
  ];
  await withTempDir(async (dir) => {
    await pythonZip(`${dir}/zip64.zip`, entries, { pipe: true });
    await assert.rejects(
      assertOpensEverywhere(`${dir}/zip64.zip`, expectedOf(entries)),
      (error) => {
        assert.ok(error instanceof AssertionError, String(error));
        // Java 17 takes the ZIP64 extra field's zero sizes for the entry's
        // own; unzipper reads 16 bytes of the 24-byte descriptor.
        assert.match(
          error.message,
          /java ZipInputStream: failed: java\.util\.zip\.ZipException: invalid entry size/,
        );
        assert.match(
          error.message,
          /unzipper Parse: failed: Error: invalid signature/,
        );
        // Each listed the entry before it, and stopped.
        assert.match(error.message, /java ZipInputStream: lists 1 entries/);
        assert.deepEqual(readersIn(error), [
          "java ZipInputStream",
          "unzipper Parse",
        ]);
        return true;
      },
    );
  });
});

Deno.test("the streaming readers must stop at the first stored entry with a descriptor as asserted, and read everything before it right", async () => {
  const entries: PythonEntry[] = [
    { name: "first.txt", data: TEXT },
    { name: "stored.bin", data: RANDOM, method: STORED },
    { name: "after.txt", data: "after" },
    { name: "stored-too.txt", data: "stored again", method: STORED },
  ];
  await withTempDir(async (dir) => {
    await pythonZip(`${dir}/stored.zip`, entries, { pipe: true });
    const { javaStream, unzipper } = await assertOpensEverywhere(
      `${dir}/stored.zip`,
      expectedOf(entries),
    );
    // Java stops at the stored entry's header.
    assert.deepEqual(javaStream.entries.map((entry) => entry.name), [
      "first.txt",
    ]);
    assert.match(javaStream.error!, /only DEFLATED entries can have EXT/);
    // unzipper scans for the descriptor's signature, absent from this data.
    assert.equal(unzipper.error, undefined);
    assert.equal(unzipper.entries.length, entries.length);

    // What each read before the stored entry is still checked.
    const wrong = expectedOf(entries);
    wrong[0] = { name: "first.txt", data: TEXT + "?" };
    await assert.rejects(
      assertOpensEverywhere(`${dir}/stored.zip`, wrong),
      (error) => {
        assert.ok(error instanceof AssertionError, String(error));
        assert.match(
          error.message,
          /java ZipInputStream: entry "first\.txt": bytes read is \d+, expected \d+/,
        );
        assert.match(
          error.message,
          /unzipper Parse: entry "first\.txt": content CRC-32 is "0x[0-9a-f]{8}", expected "0x[0-9a-f]{8}"/,
        );
        return true;
      },
    );
  });
});

Deno.test("unzipper cuts stored data of unknown size short at a descriptor's signature in it, and fails after: the assertion allows it", async () => {
  const entries: PythonEntry[] = [
    { name: "first.txt", data: "first" },
    { name: "signed.txt", data: WITH_SIGNATURE, method: STORED },
    { name: "after.txt", data: "after" },
  ];
  await withTempDir(async (dir) => {
    await pythonZip(`${dir}/signature.zip`, entries, { pipe: true });
    const { javaStream, unzipper } = await assertOpensEverywhere(
      `${dir}/signature.zip`,
      expectedOf(entries),
    );
    assert.equal(javaStream.entries.length, 1);
    assert.deepEqual(
      unzipper.entries.map((entry) => [entry.name, entry.size]),
      [["first.txt", 5], ["signed.txt", "before ".length]],
    );
    assert.match(unzipper.error!, /invalid signature/);
  });
});

Deno.test("unzipper failing just after a stored entry it read, on a 24-byte ZIP64 descriptor, fails the assertion", async () => {
  const entries: PythonEntry[] = [
    { name: "first.txt", data: "first" },
    { name: "stored.txt", data: TEXT, method: STORED, zip64: true },
    { name: "after.txt", data: "after" },
  ];
  await withTempDir(async (dir) => {
    await pythonZip(`${dir}/stored64.zip`, entries, { pipe: true });
    await assert.rejects(
      assertOpensEverywhere(`${dir}/stored64.zip`, expectedOf(entries)),
      (error) => {
        assert.ok(error instanceof AssertionError, String(error));
        // It found the end of the data; the descriptor's width is the
        // writer's choice. Java stops at the stored entry, as allowed.
        assert.match(
          error.message,
          /unzipper Parse: failed: Error: invalid signature/,
        );
        assert.deepEqual(readersIn(error), ["unzipper Parse"]);
        return true;
      },
    );
  });
});

Deno.test("an archive without stored entries of unknown size must be read to the end by the streaming readers", async () => {
  const entries: PythonEntry[] = [
    { name: "a.txt", data: "a" },
    { name: "b.txt", data: "b" },
  ];
  await withTempDir(async (dir) => {
    await pythonZip(`${dir}/two.zip`, entries, { pipe: true });
    // A third entry the archive does not hold: every reader says so.
    const expected = [...expectedOf(entries), { name: "c.txt", data: "c" }];
    await assert.rejects(
      assertOpensEverywhere(`${dir}/two.zip`, expected),
      (error) => {
        assert.ok(error instanceof AssertionError, String(error));
        for (
          const reader of [
            "java ZipInputStream",
            "java ZipFile",
            "unzipper Parse",
          ]
        ) {
          assert.ok(
            error.message.includes(
              `${reader}: lists 2 entries, expected 3; first difference at #2: none, expected "c.txt"`,
            ),
            `${reader} in ${error.message}`,
          );
        }
        return true;
      },
    );
  });
});
