import assert from "node:assert/strict";
import { dirname, resolve } from "node:path";
import {
  predictLength,
  zip,
  type ZipEntry,
  type ZipEntryData,
  type ZipOptions,
} from "../../mod.ts";
import { bytesOf } from "../_data.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { extract, EXTRACTORS, linkOrKind, listTree } from "./_extract.ts";

const LINK_MODE = 0o120777;
const STORE: ZipOptions = { compression: "store" };
const ALLOW: ZipOptions = { ...STORE, allowEscapingSymlinks: true };
const ESCAPE_TAIL =
  "so an extractor could make a link to outside the folder it extracts into; set the option allowEscapingSymlinks: true to store it anyway";

function link(name: string, target: unknown): ZipEntry {
  return { name, data: target as ZipEntryData, mode: LINK_MODE };
}

function escaping(name: string, target: string, reason: string): string {
  return `Cannot add ${
    JSON.stringify(name)
  } to the archive: its symbolic link target ${
    JSON.stringify(target)
  } ${reason}, ${ESCAPE_TAIL}`;
}

/** Reads the whole archive, returning the error it fails with. */
async function archiveError(
  entries: ZipEntry[],
  options?: ZipOptions,
): Promise<unknown> {
  try {
    await bytesOf(zip(entries, options));
  } catch (error) {
    return error;
  }
  assert.fail("expected the archive to fail");
}

/** Asserts that zip() and predictLength() both refuse `entries` with `message`. */
async function assertRefused(
  entries: ZipEntry[],
  options: ZipOptions,
  message: string,
): Promise<void> {
  const error = await archiveError(entries, options);
  assert.ok(error instanceof TypeError, `expected TypeError, got ${error}`);
  assert.equal(error.message, message);
  assert.throws(() => predictLength(entries, options), new TypeError(message));
}

/** Targets that could point outside: refused unless allowed by name. */
const ESCAPING: [string, ZipEntry[], string][] = [
  [
    "an absolute target",
    [link("link", "/etc")],
    escaping("link", "/etc", "is an absolute path"),
  ],
  [
    "a UNC target",
    [link("share", "\\\\server\\share")],
    escaping("share", "\\\\server\\share", "is an absolute path"),
  ],
  [
    "a target with a drive letter",
    [link("c", "C:/Windows")],
    escaping("c", "C:/Windows", "starts with a drive letter"),
  ],
  [
    "a target with a backslash",
    [link("a/win", "..\\..\\x")],
    escaping(
      "a/win",
      "..\\..\\x",
      "contains a backslash, a folder separator on Windows",
    ),
  ],
  [
    "a ../ escape",
    [link("up", "../x")],
    escaping("up", "../x", "climbs above the archive's root"),
  ],
  [
    "a nested escape",
    [{ name: "a/b/" }, link("a/b/link", "../../../x")],
    escaping("a/b/link", "../../../x", "climbs above the archive's root"),
  ],
  [
    'a ".." after a folder name',
    [link("up", "."), link("esc", "up/..")],
    escaping(
      "esc",
      "up/..",
      'has a ".." after a folder name, which is resolved from wherever that folder leads (it may be another link)',
    ),
  ],
];

for (const [what, entries, message] of ESCAPING) {
  Deno.test(`zip() and predictLength() refuse a link with ${what} unless allowEscapingSymlinks`, async () => {
    await assertRefused(entries, STORE, message);
    const bytes = await bytesOf(zip(entries, ALLOW));
    assert.equal(bytes.length, predictLength(entries, ALLOW));
  });
}

/** Refused whatever allowEscapingSymlinks says. */
const ALWAYS_REFUSED: [string, ZipEntry[], string][] = [
  [
    "an entry beneath a link",
    [link("link", "sub"), { name: "link/passwd", data: "x" }],
    'Cannot add "link/passwd" to the archive: it lies beneath "link", a symbolic link earlier in the archive, so an extractor would write it wherever the link points',
  ],
  [
    "an entry deep beneath a link",
    [link("a/link", "../b"), { name: "a/link/sub/" }],
    'Cannot add "a/link/sub/" to the archive: it lies beneath "a/link", a symbolic link earlier in the archive, so an extractor would write it wherever the link points',
  ],
  [
    "an entry beneath a link of another case",
    [link("Link", "sub"), { name: "link/passwd", data: "x" }],
    'Cannot add "link/passwd" to the archive: it lies beneath "Link", a symbolic link earlier in the archive, so an extractor would write it wherever the link points',
  ],
  [
    "a link at the path of a folder written before it",
    [{ name: "a/b/c.txt", data: "c" }, link("a/B", "../d")],
    'Cannot add "a/B" to the archive: it is a symbolic link, but earlier entries of the archive lie beneath that path, so an extractor would fail on the link or replace their folder with it',
  ],
  [
    "a link at the path of a folder written between links",
    [link("first", "b"), { name: "a/b/c.txt", data: "c" }, link("A", "b")],
    'Cannot add "A" to the archive: it is a symbolic link, but earlier entries of the archive lie beneath that path, so an extractor would fail on the link or replace their folder with it',
  ],
  [
    "a link at the path of a folder in another case and Unicode form",
    [{ name: "CAF\u00c9/x.txt", data: "x" }, link("cafe\u0301", "b")],
    'Cannot add "cafe\u0301" to the archive: it is a symbolic link, but earlier entries of the archive lie beneath that path, so an extractor would fail on the link or replace their folder with it',
  ],
  [
    "an entry beneath a link in another case and Unicode form",
    [link("\u00dcn\u00ef", "b"), { name: "u\u0308ni\u0308/x", data: "x" }],
    'Cannot add "u\u0308ni\u0308/x" to the archive: it lies beneath "\u00dcn\u00ef", a symbolic link earlier in the archive, so an extractor would write it wherever the link points',
  ],
  [
    "a link whose target is a stream",
    [link("link", ReadableStream.from([new TextEncoder().encode("b")]))],
    'Cannot add "link" to the archive: expected a symbolic link\'s target as a string or bytes, to check it before writing it, but received a Blob, stream or iterable',
  ],
  [
    "a link whose target is a Blob",
    [link("link", new Blob(["b"]))],
    'Cannot add "link" to the archive: expected a symbolic link\'s target as a string or bytes, to check it before writing it, but received a Blob, stream or iterable',
  ],
  [
    "a link with an empty target",
    [link("link", "")],
    'Cannot add "link" to the archive: a symbolic link\'s target cannot be empty',
  ],
  [
    "a link whose target is not UTF-8",
    [link("link", new Uint8Array([0x61, 0xff]))],
    'Cannot add "link" to the archive: a symbolic link\'s target must be valid UTF-8',
  ],
  [
    "a link whose target holds a NUL",
    [link("link", "b\0/../../..")],
    'Cannot add "link" to the archive: its symbolic link target "b\\u0000/../../.." contains a NUL character, which no file system keeps in a link (extractors would cut the target there)',
  ],
  [
    "a link with a directory's name",
    [{ name: "link/", mode: LINK_MODE }],
    'Cannot add "link/" to the archive: a symbolic link cannot have a directory\'s name (ending in "/")',
  ],
];

for (const [what, entries, message] of ALWAYS_REFUSED) {
  Deno.test(`zip() and predictLength() refuse ${what}, even with allowEscapingSymlinks`, async () => {
    await assertRefused(entries, STORE, message);
    await assertRefused(entries, ALLOW, message);
  });
}

Deno.test("zip() and predictLength() find a folder among 70,000 names before the first link", async () => {
  const files: ZipEntry[] = [];
  for (let i = 0; i < 70_000; i++) {
    files.push({ name: `Logs/${i % 700}/${i}.txt`, data: "" });
  }
  await assertRefused(
    [...files, link("logs/350", "../b")],
    STORE,
    'Cannot add "logs/350" to the archive: it is a symbolic link, but earlier entries of the archive lie beneath that path, so an extractor would fail on the link or replace their folder with it',
  );
  const beside = [...files, link("Logs/350.txt", "350")];
  const bytes = await bytesOf(zip(beside, STORE));
  assert.equal(bytes.length, predictLength(beside, STORE));
});

Deno.test("zip() refuses an allowEscapingSymlinks that is not a boolean", () => {
  assert.throws(
    () => zip([], { allowEscapingSymlinks: "yes" as unknown as boolean }),
    new TypeError(
      'Cannot create the archive: invalid option allowEscapingSymlinks: expected a boolean but received the string "yes"',
    ),
  );
});

/** Links that stay inside, and what each must lead to once extracted. */
const CONTAINED: ZipEntry[] = [
  { name: "b/" },
  { name: "b/file.txt", data: "inside" },
  { name: "a/" },
  link("a/link", "../b"),
  { name: "a/deep/" },
  link("a/deep/top", "../.."),
  link("link", "b/file.txt"),
  link("dot", "./b/./file.txt"),
  link("bytes", new TextEncoder().encode("b")),
  // Beside the link "link", not beneath it.
  { name: "linkage/" },
  { name: "linkage/x.txt", data: "x" },
];

Deno.test("zip() writes links that stay inside the archive, as every reader sees them", async () => {
  const bytes = await bytesOf(zip(CONTAINED, STORE));
  assert.equal(bytes.length, predictLength(CONTAINED, STORE));
  await assertOpensEverywhere(
    bytes,
    CONTAINED.map(({ name, data, mode }) => ({
      name,
      ...(typeof data === "string" ? { data } : {}),
      ...(data instanceof Uint8Array ? { data } : {}),
      ...(mode === undefined ? {} : { mode }),
    })),
  );
});

/**
 * Extracts `archive` with `extractor` into a fresh folder two levels down a
 * temporary folder, asserting that nothing outside the extraction folder
 * changed, and gives `check` the extraction folder and the outer folder.
 */
async function extractAlone(
  extractor: typeof EXTRACTORS[number],
  archive: (outer: string) => Promise<Uint8Array>,
  check: (into: string, outer: string, output: string) => Promise<void>,
): Promise<void> {
  await withTempDir(async (outer) => {
    const into = `${outer}/parent/into`;
    await Deno.mkdir(into, { recursive: true });
    const path = `${outer}/archive.zip`;
    await Deno.writeFile(path, await archive(outer));
    const before = await listTree(outer, into);
    const { code, output } = await extract(extractor, path, into);
    // 7-Zip exits 2 when it refuses a link; the others must succeed.
    assert.ok(code === 0 || extractor === "7z" && code === 2, output);
    assert.deepEqual(await listTree(outer, into), before, output);
    await check(into, outer, output);
  });
}

/** Asserts that every link below `into` leads, by its text, inside `into`. */
async function assertLinksInside(into: string): Promise<void> {
  for (const line of await listTree(into)) {
    const found = /^l (.*) -> (.*)$/.exec(line);
    if (found === null) continue;
    const lands = resolve(dirname(`${into}/${found[1]}`), found[2]!);
    assert.ok(lands === into || lands.startsWith(`${into}/`), line);
  }
}

for (const extractor of EXTRACTORS) {
  Deno.test(`${extractor} extracts contained links where they point, and nothing outside`, async () => {
    await extractAlone(
      extractor,
      () => bytesOf(zip(CONTAINED, STORE)),
      async (into, _outer, output) => {
        const links = CONTAINED.filter((entry) => entry.mode === LINK_MODE);
        for (const { name, data } of links) {
          const target = typeof data === "string"
            ? data
            : new TextDecoder().decode(data as Uint8Array);
          const found = await linkOrKind(`${into}/${name}`);
          if (extractor === "python") {
            // zipfile makes no links: it writes each target as a file.
            assert.equal(await Deno.readTextFile(`${into}/${name}`), target);
          } else if (extractor === "7z" && target.includes("..")) {
            // 7-Zip refuses any target with "..", as a "dangerous link path".
            assert.ok(
              found === `-> ${target}` ||
                output.includes(`Dangerous link path was ignored : ${name}`),
              `${name}: ${found}\n${output}`,
            );
          } else {
            assert.equal(found, `-> ${target}`, name);
          }
        }
        await assertLinksInside(into);
        if (extractor === "unzip" || extractor === "bsdtar") {
          assert.equal(await Deno.readTextFile(`${into}/link`), "inside");
          assert.equal(
            await Deno.readTextFile(`${into}/a/link/file.txt`),
            "inside",
          );
          assert.equal(
            await Deno.realPath(`${into}/a/deep/top`),
            await Deno.realPath(into),
          );
        }
      },
    );
  });
}

/** Links that escape, allowed by name, and a chain that escapes through `up`. */
function escapingEntries(outer: string): ZipEntry[] {
  return [
    link("evil", "../../outside"),
    link("abs", `${outer}/abs-target`),
    link("up", "."),
    link("esc", "up/.."),
    { name: "a.txt", data: "hello" },
  ];
}

for (const extractor of EXTRACTORS) {
  Deno.test(`${extractor} writes nothing outside the extraction folder from allowed escaping links`, async () => {
    await extractAlone(
      extractor,
      (outer) => bytesOf(zip(escapingEntries(outer), ALLOW)),
      async (into, outer) => {
        assert.equal(await Deno.readTextFile(`${into}/a.txt`), "hello");
        const found = {
          evil: await linkOrKind(`${into}/evil`),
          abs: await linkOrKind(`${into}/abs`),
        };
        switch (extractor) {
          case "unzip":
          case "bsdtar":
            // Created as they are: whoever follows them later leaves the folder.
            assert.deepEqual(found, {
              evil: "-> ../../outside",
              abs: `-> ${outer}/abs-target`,
            });
            assert.equal(
              await Deno.realPath(`${into}/esc`),
              await Deno.realPath(`${outer}/parent`),
            );
            break;
          case "python":
            assert.deepEqual(found, {
              evil: "file of 13 bytes",
              abs: `file of ${outer.length + 11} bytes`,
            });
            break;
          case "7z":
            // 7-Zip refuses ".." targets and moves absolute ones inside.
            await assertLinksInside(into);
            break;
        }
      },
    );
  });
}
