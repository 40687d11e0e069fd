/**
 * Property-based tests: random entry lists go through `zip()` and come back
 * exactly from Python's `zipfile`, whatever their names, sizes, methods,
 * input kinds and chunkings.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { crc32, zip, type ZipEntry } from "../../mod.ts";
import {
  assertOpensEverywhere,
  digestOf,
  readWithPython,
  withArchiveFile,
} from "../_readers.ts";
import { asyncChunks, chunked } from "../_data.ts";

/** Fixed, so that a failure names a seed that replays it exactly. */
const SEED = 20_260_304;
const RUNS = 50;
/** Four readers per run cost more: fewer runs for the all-readers property. */
const READER_RUNS = 20;
const OPTIONS = { lastModified: Date.UTC(2026, 2, 4, 5, 6, 8) };
const encoder = new TextEncoder();

type Kind =
  | "string"
  | "bytes"
  | "buffer"
  | "blob"
  | "stream"
  | "async"
  | "sync";

interface FileSpec {
  name: string;
  text: string | undefined;
  bytes: Uint8Array<ArrayBuffer>;
  kind: Kind;
  chunkSizes: number[];
  compression: "store" | "deflate" | undefined;
  level: number | undefined;
  declareSize: boolean;
  declareCrc: boolean;
}

type Spec = { directory: string } | FileSpec;

// Letters that stress encodings: accents precomposed and combining, CJK,
// emoji (astral), right-to-left, and ASCII punctuation that paths allow.
const NAME_CHARS = [
  ..."abcxyzABC019-_. ",
  "é",
  "e\u0301",
  "ß",
  "Ж",
  "漢",
  "字",
  "ア",
  "😀",
  "👩‍👩‍👧",
  "ا",
  "ע",
];

const segment = fc.string({
  unit: fc.constantFrom(...NAME_CHARS),
  minLength: 1,
  maxLength: 6,
}).filter((s) => s !== "." && s !== "..");

/** Bytes of a chosen size, compressible or not, cheap to make. */
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }),
  fc.record({
    size: fc.integer({ min: 0, max: 300_000 }),
    seed: fc.nat(),
    compressible: fc.boolean(),
  }).map(({ size, seed, compressible }) => {
    const out = new Uint8Array(size);
    let state = seed;
    for (let i = 0; i < size; i++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      out[i] = compressible ? 97 + ((state >>> 28) & 3) : state >>> 24;
    }
    return out;
  }),
);

const chunkSizes = fc.array(fc.integer({ min: 1, max: 70_000 }), {
  minLength: 1,
  maxLength: 5,
});

const fileOptions = fc.record({
  kind: fc.constantFrom<Kind>(
    "string",
    "bytes",
    "buffer",
    "blob",
    "stream",
    "async",
    "sync",
  ),
  chunkSizes,
  compression: fc.constantFrom("store", "deflate", undefined),
  level: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
  declareSize: fc.boolean(),
  declareCrc: fc.boolean(),
});

/** Entry lists with unique names, no file where a directory is, any order. */
const specs: fc.Arbitrary<Spec[]> = fc.array(
  fc.record({
    dirs: fc.array(segment, { maxLength: 3 }),
    leaf: segment,
    isDirectory: fc.boolean(),
    text: fc.option(fc.string({ unit: "grapheme", maxLength: 300 }), {
      nil: undefined,
    }),
    bytes,
    options: fileOptions,
  }),
  { maxLength: 12 },
).map((drafts) => {
  const seen = new Set<string>();
  const out: Spec[] = [];
  drafts.forEach((draft, i) => {
    // "~" is in no segment, so a file can never share a directory's name.
    const path = [...draft.dirs, draft.leaf].join("/");
    if (draft.isDirectory) {
      const directory = `${path}/`;
      if (!seen.has(directory)) out.push({ directory });
      seen.add(directory);
      return;
    }
    const { kind, ...rest } = draft.options;
    const spec: FileSpec = {
      name: `${path}~${i}`,
      text: kind === "string" ? draft.text ?? "" : undefined,
      bytes: kind === "string"
        ? encoder.encode(draft.text ?? "")
        : new Uint8Array(draft.bytes),
      kind,
      ...rest,
    };
    // Counterexamples print the size, not hundreds of kilobytes of data.
    const shown = { ...spec, bytes: `${spec.bytes.length} bytes` };
    out.push(
      Object.assign(spec, { [fc.toStringMethod]: () => fc.stringify(shown) }),
    );
  });
  return out;
});

/** A fresh entry for `spec`: stream sources can be read only once. */
function toEntry(spec: Spec, sizes?: number[]): ZipEntry {
  if ("directory" in spec) return { name: spec.directory };
  const chunks = chunked(spec.bytes, sizes ?? spec.chunkSizes);
  const data = {
    string: () => spec.text ?? "",
    bytes: () => spec.bytes,
    buffer: () => spec.bytes.slice().buffer,
    blob: () => new Blob(chunks),
    stream: () => ReadableStream.from(chunks),
    async: () => asyncChunks(chunks),
    sync: () => chunks.values(),
  }[spec.kind]();
  const entry: ZipEntry = { name: spec.name, data };
  if (spec.compression !== undefined) entry.compression = spec.compression;
  if (spec.level !== undefined) entry.level = spec.level;
  if (spec.declareSize) entry.size = spec.bytes.length;
  if (spec.declareSize && spec.declareCrc) entry.crc32 = crc32(spec.bytes);
  return entry;
}

async function archiveOf(
  list: Spec[],
  sizes?: number[],
): Promise<Uint8Array> {
  const archive = zip(list.map((spec) => toEntry(spec, sizes)), OPTIONS);
  return new Uint8Array(await new Response(archive).arrayBuffer());
}

Deno.test("Python zipfile reads back exactly the entries of any archive zip() writes", async () => {
  await fc.assert(
    fc.asyncProperty(specs, async (list) => {
      const archive = await archiveOf(list);
      const { entries } = await withArchiveFile(archive, readWithPython);
      assert.deepEqual(
        entries.map((e) => e.name),
        list.map((spec) => "directory" in spec ? spec.directory : spec.name),
      );
      for (const [i, spec] of list.entries()) {
        const entry = entries[i]!;
        const data = "directory" in spec ? new Uint8Array() : spec.bytes;
        const digest = await digestOf(data);
        assert.equal(entry.isDirectory, "directory" in spec, entry.name);
        assert.equal(entry.size, digest.size, entry.name);
        assert.equal(entry.crc32, digest.crc32, entry.name);
        assert.equal(entry.contentCrc32, digest.crc32, entry.name);
        if (!("directory" in spec) && spec.compression === "store") {
          assert.equal(entry.compressType, 0, `method of ${entry.name}`);
        }
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

Deno.test("zip() writes the same bytes for any chunking of the same entries", async () => {
  await fc.assert(
    fc.asyncProperty(specs, chunkSizes, async (list, otherSizes) => {
      const first = await archiveOf(list);
      const second = await archiveOf(list, otherSizes);
      assert.deepEqual(second, first);
    }),
    { seed: SEED, numRuns: RUNS },
  );
});

Deno.test("unzip, 7z and bsdtar from a pipe open any archive zip() writes, as Python does", async () => {
  await fc.assert(
    fc.asyncProperty(specs, async (list) => {
      await assertOpensEverywhere(
        await archiveOf(list),
        list.map((spec) =>
          "directory" in spec
            ? { name: spec.directory }
            : { name: spec.name, data: spec.bytes }
        ),
      );
    }),
    { seed: SEED, numRuns: READER_RUNS },
  );
});
