/**
 * WinZip AES-256 archives as `zip()` writes them: every shape of entry,
 * opened by 7-Zip and by bsdtar from a pipe with their contents compared,
 * refused with a wrong password or an altered byte, their headers as the AE
 * spec says, their length predicted, and their bytes reproducible with a
 * salt key (as resuming needs).
 */

import assert from "node:assert/strict";
import {
  crc32,
  planZip,
  predictLength,
  type WrittenEntry,
  zip,
  type ZipEntry,
  type ZipOptions,
} from "../../mod.ts";
import { runTool, withTempDir } from "../_readers.ts";
import { chunked, pseudoRandom } from "../_data.ts";
import {
  BSDTAR_WRONG_PASSWORD,
  bsdtarPipe,
  centralHeaders,
  extractAll,
  SEVEN_ZIP_AUTH_FAILED,
  SEVEN_ZIP_WRONG_PASSWORD,
  testWith7z,
} from "./_aes_readers.ts";

const PASSWORD = "correct horse ❤ battery staple";
const OPTIONS = { lastModified: Date.UTC(2026, 11, 6, 5, 0, 0) };
const METHOD_AES = 99;
const AES_EXTRA_ID = 0x9901;
const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const encoder = new TextEncoder();

function prose(lines: number): Uint8Array<ArrayBuffer> {
  return encoder.encode(
    Array.from(
      { length: lines },
      (_, i) => `line ${i}: the quick brown fox ${i % 97} jumps\n`,
    ).join(""),
  );
}

const TEXT = prose(3000);
const RANDOM = pseudoRandom(200_003, 7);

/** Every shape of entry, with what each must extract to (files only). */
function shapes(): { entries: ZipEntry[]; files: Map<string, Uint8Array> } {
  const entries: ZipEntry[] = [
    { name: "empty.txt", data: "" },
    { name: "empty-streamed.txt", data: ReadableStream.from([]), size: 0 },
    { name: "stored.bin", data: RANDOM, compression: "store" },
    { name: "deflated.txt", data: TEXT, level: 6 },
    { name: "deflated-level1.txt", data: TEXT, level: 1 },
    {
      name: "streamed-deflated.txt",
      data: ReadableStream.from(chunked(TEXT, 1000)),
    },
    {
      name: "streamed-stored.bin",
      data: ReadableStream.from(chunked(RANDOM, 4096)),
      compression: "store",
    },
    {
      name: "streamed-stored-sized.bin",
      data: ReadableStream.from(chunked(RANDOM, 5000)),
      size: RANDOM.length,
      compression: "store",
    },
    {
      name: "streamed-stored-crc.bin",
      data: ReadableStream.from(chunked(RANDOM, 5000)),
      size: RANDOM.length,
      crc32: crc32(RANDOM),
      compression: "store",
    },
    { name: "zip64.txt", data: "asked for ZIP64", zip64: true },
    { name: "ünïcode ❤.txt", data: "names stay readable" },
    { name: "folder/" },
    { name: "link", data: "stored.bin", mode: 0o120777 },
    { name: "plain.txt", data: "not encrypted", password: false },
  ];
  const files = new Map<string, Uint8Array>([
    ["empty.txt", new Uint8Array()],
    ["empty-streamed.txt", new Uint8Array()],
    ["stored.bin", RANDOM],
    ["deflated.txt", TEXT],
    ["deflated-level1.txt", TEXT],
    ["streamed-deflated.txt", TEXT],
    ["streamed-stored.bin", RANDOM],
    ["streamed-stored-sized.bin", RANDOM],
    ["streamed-stored-crc.bin", RANDOM],
    ["zip64.txt", encoder.encode("asked for ZIP64")],
    ["ünïcode ❤.txt", encoder.encode("names stay readable")],
    ["plain.txt", encoder.encode("not encrypted")],
    ["link", encoder.encode("-> stored.bin")],
  ]);
  return { entries, files };
}

function assertSameFiles(
  actual: Map<string, Uint8Array>,
  expected: Map<string, Uint8Array>,
  reader: string,
): void {
  assert.deepEqual(
    [...actual.keys()].sort(),
    [...expected.keys()].sort(),
    reader,
  );
  for (const [name, data] of expected) {
    const got = actual.get(name)!;
    assert.equal(got.length, data.length, `${reader}: ${name} length`);
    assert.ok(
      got.every((byte, i) => byte === data[i]),
      `${reader}: ${name} content`,
    );
  }
}

async function bytesOf(
  entries: ZipEntry[],
  options: ZipOptions,
): Promise<Uint8Array> {
  return await new Response(zip(entries, options)).bytes();
}

for (const encryption of ["AE-2", "AE-1"] as const) {
  Deno.test(`7-Zip and bsdtar from a pipe open every shape of ${encryption} entry with its exact contents`, async () => {
    const { entries, files } = shapes();
    const archive = await bytesOf(entries, {
      ...OPTIONS,
      password: PASSWORD,
      encryption,
    });
    await withTempDir(async (dir) => {
      const path = `${dir}/shapes.zip`;
      await Deno.writeFile(path, archive);
      const tested = await testWith7z(path, PASSWORD);
      assert.equal(tested.code, 0, tested.stdout + tested.stderr);
      assert.match(tested.stdout, /Everything is Ok/);
      assertSameFiles(await extractAll("7z", path, PASSWORD), files, "7z");
      // From a pipe, bsdtar sees only local headers, which carry no Unix
      // mode: the link comes out as a file holding its target (plain).
      files.set("link", encoder.encode("stored.bin"));
      assertSameFiles(
        await extractAll("bsdtar", path, PASSWORD),
        files,
        "bsdtar",
      );
    });
  });

  Deno.test(`an ${encryption} entry's headers say method 99, version 5.1, encrypted, and carry the AES extra field with the real method`, async () => {
    const { entries } = shapes();
    const headers = centralHeaders(
      await bytesOf(entries, { ...OPTIONS, password: PASSWORD, encryption }),
    );
    const plainNames = ["folder/", "link", "plain.txt"];
    for (const header of headers) {
      const aes = header.extras.get(AES_EXTRA_ID);
      if (plainNames.includes(header.name)) {
        assert.notEqual(header.method, METHOD_AES, header.name);
        assert.equal(header.flags & FLAG_ENCRYPTED, 0, header.name);
        assert.equal(aes, undefined, header.name);
        continue;
      }
      assert.equal(header.method, METHOD_AES, header.name);
      assert.equal(header.versionNeeded, 51, header.name);
      assert.equal(header.flags & FLAG_ENCRYPTED, FLAG_ENCRYPTED, header.name);
      assert.ok(aes, header.name);
      const version = encryption === "AE-2" ? 2 : 1;
      const deflated = header.name.includes("deflated");
      // vendor version, "AE", strength 3 (AES-256), real method
      assert.deepEqual(
        [...aes],
        [version, 0, 0x41, 0x45, 3, deflated ? 8 : 0, 0],
        header.name,
      );
      const data = shapes().files.get(header.name)!;
      assert.ok(data, header.name);
      assert.equal(header.size, data.length, header.name);
      if (!deflated) {
        assert.equal(header.compressedSize, data.length + 28, header.name);
      }
      assert.equal(
        header.crc32,
        encryption === "AE-2" ? 0 : crc32(data),
        `${header.name}: CRC`,
      );
    }
  });
}

Deno.test("an AE-2 entry's CRC is 0 in its local header and data descriptor too", async () => {
  const archive = await bytesOf([
    { name: "a.txt", data: ReadableStream.from([encoder.encode("secret")]) },
  ], { ...OPTIONS, password: PASSWORD });
  const view = new DataView(archive.buffer);
  assert.equal(view.getUint16(6, true) & FLAG_DATA_DESCRIPTOR, 8);
  assert.equal(view.getUint32(14, true), 0, "local header CRC");
  const [header] = centralHeaders(archive);
  // Right after the data: searching for the signature could stop inside the
  // random ciphertext or authentication code.
  const descriptor = 30 + view.getUint16(26, true) + view.getUint16(28, true) +
    header!.compressedSize;
  assert.equal(view.getUint32(descriptor, true), 0x08074b50);
  assert.equal(view.getUint32(descriptor + 4, true), 0, "descriptor CRC");
  assert.equal(view.getUint32(descriptor + 8, true), header!.compressedSize);
});

Deno.test("deflate workers give the same encrypted bytes as the calling thread, which 7-Zip and bsdtar open", async () => {
  const big = prose(200_000); // about 9 MiB, so that workers start
  const entries = (): ZipEntry[] => [
    { name: "streamed.txt", data: ReadableStream.from(chunked(big, 65536)) },
    ...Array.from({ length: 40 }, (_, i) => ({
      name: `whole/${i}.txt`,
      data: big.subarray(i * 100_000, i * 100_000 + 90_000),
    })),
  ];
  const options = {
    ...OPTIONS,
    password: PASSWORD,
    saltKey: new Uint8Array(32).fill(5),
  };
  const threaded = await bytesOf(entries(), { ...options, workers: 2 });
  const alone = await bytesOf(entries(), { ...options, workers: 0 });
  assert.ok(threaded.length === alone.length);
  assert.ok(threaded.every((byte, i) => byte === alone[i]));
  await withTempDir(async (dir) => {
    const path = `${dir}/workers.zip`;
    await Deno.writeFile(path, threaded);
    const expected = new Map<string, Uint8Array>([["streamed.txt", big]]);
    for (let i = 0; i < 40; i++) {
      expected.set(
        `whole/${i}.txt`,
        big.subarray(i * 100_000, i * 100_000 + 90_000),
      );
    }
    assertSameFiles(await extractAll("7z", path, PASSWORD), expected, "7z");
    assertSameFiles(
      await extractAll("bsdtar", path, PASSWORD),
      expected,
      "bsdtar",
    );
  });
});

Deno.test("a wrong password is refused by 7-Zip and bsdtar, an altered byte fails 7-Zip's authentication, and Info-ZIP unzip and Python's zipfile decline AES", async () => {
  const archive = await bytesOf([
    { name: "secret.bin", data: RANDOM, compression: "store" },
  ], { ...OPTIONS, password: PASSWORD });
  await withTempDir(async (dir) => {
    const path = `${dir}/secret.zip`;
    await Deno.writeFile(path, archive);
    const wrong7z = await testWith7z(path, "wrong");
    assert.notEqual(wrong7z.code, 0);
    assert.match(wrong7z.stderr, SEVEN_ZIP_WRONG_PASSWORD);
    const wrongTar = await bsdtarPipe(path, "wrong");
    assert.notEqual(wrongTar.code, 0);
    assert.equal(wrongTar.stdout, "");
    assert.match(wrongTar.stderr, BSDTAR_WRONG_PASSWORD);

    const python = await runTool("python3", [
      "-c",
      "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).read('secret.bin', pwd=sys.argv[2].encode())",
      path,
      PASSWORD,
    ]);
    assert.notEqual(python.code, 0);
    assert.match(
      python.stderr,
      /NotImplementedError: That compression method is not supported/,
    );
    const unzip = await runTool("unzip", ["-P", PASSWORD, "-t", path]);
    assert.match(unzip.stdout, /need PK compat\. v5\.1/);
    assert.doesNotMatch(unzip.stdout, /testing: secret\.bin +OK/);

    const altered = archive.slice();
    // Past the local header (30 + name + extras), salt and verifier.
    altered[30 + 10 + 9 + 11 + 18 + 100_000]! ^= 0x40;
    await Deno.writeFile(path, altered);
    const corrupt = await testWith7z(path, PASSWORD);
    assert.notEqual(corrupt.code, 0);
    assert.match(corrupt.stderr, SEVEN_ZIP_AUTH_FAILED);
  });
});

Deno.test("an entry's own password encrypts it, and entries of another password are refused under the archive's", async () => {
  const archive = await bytesOf([
    { name: "mine.txt", data: "mine", password: "other password" },
    { name: "ours.txt", data: "ours" },
  ], { ...OPTIONS, password: PASSWORD });
  await withTempDir(async (dir) => {
    const path = `${dir}/two.zip`;
    await Deno.writeFile(path, archive);
    const mine = await runTool("7z", [
      "x",
      "-so",
      "-pother password",
      path,
      "mine.txt",
    ]);
    assert.equal(mine.code, 0, mine.stderr);
    assert.equal(mine.stdout, "mine");
    const ours = await runTool("7z", ["x", "-so", `-p${PASSWORD}`, path]);
    assert.notEqual(ours.code, 0);
    assert.match(ours.stderr, SEVEN_ZIP_WRONG_PASSWORD);
    assert.match(ours.stdout, /^ours$/);
  });
});

Deno.test("predictLength() is exact for encrypted stored entries, AE-1 and AE-2, with and without a salt key", async () => {
  const entries = (): ZipEntry[] => [
    { name: "empty", data: "" },
    { name: "bytes.bin", data: RANDOM, compression: "store" },
    {
      name: "sized.bin",
      data: ReadableStream.from(chunked(RANDOM, 10_000)),
      size: RANDOM.length,
      compression: "store",
    },
    {
      name: "sized-crc.bin",
      data: ReadableStream.from(chunked(RANDOM, 10_000)),
      size: RANDOM.length,
      crc32: crc32(RANDOM),
      compression: "store",
    },
    { name: "empty-streamed", data: ReadableStream.from([]), size: 0 },
    { name: "dir/" },
    { name: "plain", data: "plain", password: false },
    { name: "zip64", data: "x", zip64: true, compression: "store" },
  ];
  for (const encryption of ["AE-2", "AE-1"] as const) {
    for (const saltKey of [undefined, new Uint8Array(16).fill(1)]) {
      const options = {
        ...OPTIONS,
        compression: "store" as const,
        password: PASSWORD,
        encryption,
        saltKey,
      };
      const archive = await bytesOf(entries(), options);
      assert.equal(
        predictLength(entries(), options),
        archive.length,
        `${encryption}, salt key ${saltKey !== undefined}`,
      );
    }
  }
});

Deno.test("a salt key gives byte-identical archives; random salts never do", async () => {
  const entries = (): ZipEntry[] => [
    { name: "a.txt", data: TEXT },
    { name: "b.bin", data: ReadableStream.from(chunked(RANDOM, 7000)) },
  ];
  const saltKey = crypto.getRandomValues(new Uint8Array(32));
  const keyed = { ...OPTIONS, password: PASSWORD, saltKey };
  const first = await bytesOf(entries(), keyed);
  const again = await bytesOf(entries(), keyed);
  assert.deepEqual(first, again);
  const otherKey = await bytesOf(entries(), {
    ...keyed,
    saltKey: crypto.getRandomValues(new Uint8Array(32)),
  });
  assert.equal(otherKey.length, first.length);
  assert.notDeepEqual(otherKey, first);
  const random1 = await bytesOf(entries(), { ...OPTIONS, password: PASSWORD });
  const random2 = await bytesOf(entries(), { ...OPTIONS, password: PASSWORD });
  assert.notDeepEqual(random1, random2);
});

for (const encryption of ["AE-2", "AE-1"] as const) {
  Deno.test(`resuming an ${encryption} archive with its salt key gives the rest byte for byte, from any offset, and its records hold the headers' CRC`, async () => {
    const entries = (): ZipEntry[] => [
      {
        name: "a.bin",
        data: ReadableStream.from(chunked(RANDOM, 5000)),
        compression: "store",
      },
      { name: "b.txt", data: ReadableStream.from(chunked(TEXT, 3000)) },
      { name: "c.txt", data: TEXT },
      {
        name: "d.bin",
        data: ReadableStream.from([RANDOM]),
        size: RANDOM.length,
      },
    ];
    const options = {
      ...OPTIONS,
      password: PASSWORD,
      encryption,
      saltKey: new Uint8Array(16).fill(9),
    };
    const written: WrittenEntry[] = [];
    const full = await bytesOf(entries(), {
      ...options,
      onEntry: (entry) => written.push(entry),
    });
    const crcs = [crc32(RANDOM), crc32(TEXT), crc32(TEXT), crc32(RANDOM)];
    written.forEach((record, i) => {
      assert.equal(
        record.crc32,
        encryption === "AE-2" ? 0 : crcs[i],
        record.name,
      );
    });
    const offsets = [
      1,
      written[0]!.end - 5, // inside a's authentication code
      written[1]!.end, // between entries
      written[1]!.offset + 100, // inside b's data
      written[3]!.end + 10, // inside the central directory
    ];
    for (const offset of offsets) {
      const rest = await bytesOf(entries(), {
        ...options,
        resume: { offset, entries: written },
      });
      assert.equal(rest.length, full.length - offset, `from ${offset}`);
      assert.ok(
        rest.every((byte, i) => byte === full[offset + i]),
        `from ${offset}`,
      );
    }
  });
}

Deno.test("a resumed encrypted archive derives no keys for the streamed entries it skips", async () => {
  const entries = (): ZipEntry[] =>
    Array.from({ length: 40 }, (_, i) => ({
      name: `part-${i}.txt`,
      data: ReadableStream.from(chunked(TEXT.subarray(0, 2000 + i), 700)),
    }));
  const options = {
    ...OPTIONS,
    password: PASSWORD,
    saltKey: new Uint8Array(16).fill(3),
  };
  const written: WrittenEntry[] = [];
  const full = await bytesOf(entries(), {
    ...options,
    onEntry: (entry) => written.push(entry),
  });
  // Entries 0 to 29 lie wholly before the offset: the resumed run skips them.
  const offset = written[29]!.end;
  const subtle = globalThis.crypto.subtle;
  const deriveBits = subtle.deriveBits;
  let derived = 0;
  subtle.deriveBits = (...args: Parameters<SubtleCrypto["deriveBits"]>) => {
    derived++;
    return deriveBits.apply(subtle, args);
  };
  try {
    const rest = await bytesOf(entries(), {
      ...options,
      resume: { offset, entries: written },
    });
    assert.deepEqual(rest, full.subarray(offset));
  } finally {
    subtle.deriveBits = deriveBits;
  }
  assert.equal(derived, 10, "one key derivation per entry written");
});

Deno.test("resuming an encrypted archive without a salt key is refused, naming the option", async () => {
  const entries = (): ZipEntry[] => [{ name: "a.txt", data: "a" }];
  assert.throws(
    () =>
      zip(entries(), {
        password: PASSWORD,
        resume: { offset: 10 },
      }),
    (error: Error) => {
      assert.match(error.message, /expected the option saltKey/);
      assert.doesNotMatch(error.message, /horse/);
      return true;
    },
  );
  // An entry's own password is found as the entry is reached.
  await assert.rejects(
    bytesOf([{ name: "a.txt", data: "a", password: PASSWORD }], {
      resume: { offset: 10 },
    }),
    (error: Error) => {
      assert.equal(
        error.message,
        'Cannot resume the archive at byte 10 in the encrypted entry "a.txt": its salt is random, so its bytes differ on every run; expected the option saltKey (the one the first run used) but received none',
      );
      return true;
    },
  );
});

Deno.test("invalid encryption options are refused without showing the password", async () => {
  const cases: [ZipOptions, RegExp][] = [
    [
      { password: "" },
      /invalid option password: expected a non-empty string without lone surrogates but received an empty string/,
    ],
    [
      { password: 12345 as unknown as string },
      /invalid option password: expected a non-empty string without lone surrogates but received a value of type number/,
    ],
    [
      { password: "ab\ud800" },
      /received a string with a lone UTF-16 surrogate/,
    ],
    [
      { encryption: "AE-3" as "AE-2" },
      /invalid option encryption: expected "AE-2" or "AE-1" but received the string "AE-3"/,
    ],
    [
      { encryption: "toString" as "AE-2" },
      /invalid option encryption: expected "AE-2" or "AE-1" but received the string "toString"/,
    ],
    [
      { saltKey: new Uint8Array(8) },
      /invalid option saltKey: expected at least 16 bytes but received 8/,
    ],
    [
      { saltKey: "key" as unknown as Uint8Array },
      /invalid option saltKey: expected a Uint8Array of at least 16 bytes/,
    ],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => zip([], options), message);
  }
  await assert.rejects(
    bytesOf(
      [{ name: "a", data: "a", password: 99999 as unknown as string }],
      {},
    ),
    /Cannot add "a" to the archive: invalid password: expected a non-empty string or false but received a value of type number/,
  );
  await assert.rejects(
    planZip(
      [{ name: "a", data: "a" }],
      {
        password: PASSWORD,
      } as Parameters<typeof planZip>[1],
    ),
    /a planned archive cannot be encrypted yet/,
  );
  await assert.rejects(
    planZip([
      { name: "a", data: "a", password: PASSWORD } as Parameters<
        typeof planZip
      >[0] extends Iterable<infer E> ? E : never,
    ]),
    (error: Error) => {
      assert.match(error.message, /expected no password but received one/);
      assert.doesNotMatch(error.message, /horse/);
      return true;
    },
  );
});
