import assert from "node:assert/strict";
import {
  ByteStringArena,
  type ByteStringHash,
  ByteStringSet,
  fnv1a,
} from "../../src/zip/_byte_string_set.ts";
import { CentralDirectory } from "../../src/zip/_central_directory.ts";
import type { EntryFields } from "../../src/zip/_entry_fields.ts";
import { claimName, nameKeyLength } from "../../src/zip/_entry_name.ts";
import { predictLength, zip } from "../../mod.ts";
import { assertOpensEverywhere } from "../_readers.ts";

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Every hash lands in the same slot, so every lookup walks the whole probe run. */
const COLLIDING_HASH = () => 7;
/** Two buckets only: half the names collide with each other. */
const PARITY_HASH = (_bytes: Uint8Array, start: number, end: number) =>
  (end - start) % 2;

/** A set over an arena, appending what it accepts, as predictLength() does. */
class ArenaSet {
  #arena = new ByteStringArena();
  #set: ByteStringSet;

  constructor(hash?: ByteStringHash) {
    this.#set = new ByteStringSet(this.#arena, hash);
  }

  get size(): number {
    return this.#set.size;
  }

  add(data: Uint8Array, length = data.length): boolean {
    const added = this.#set.add(data, length);
    if (added) this.#arena.append(data, length);
    return added;
  }
}

function fields(name: string): EntryFields {
  return {
    nameBytes: bytes(name),
    commentBytes: new Uint8Array(0),
    flags: 0,
    method: 0,
    dosDate: 0,
    dosTime: 0,
    timestampExtra: new Uint8Array(0),
    externalAttributes: 0,
    aesExtra: new Uint8Array(0),
  };
}

function duplicateError(name: string): TypeError {
  return new TypeError(
    `Cannot add ${
      JSON.stringify(name)
    } to the archive: an entry with that name is already in the archive`,
  );
}

Deno.test("fnv1a() hashes a range of bytes, as the FNV-1a reference values say", () => {
  assert.equal(fnv1a(new Uint8Array(0), 0, 0), 0x811c9dc5);
  assert.equal(fnv1a(bytes("a"), 0, 1), 0xe40c292c);
  assert.equal(fnv1a(bytes("foobar"), 0, 6), 0xbf9cf968);
  assert.equal(fnv1a(bytes("xxfoobarxx"), 2, 8), 0xbf9cf968);
});

Deno.test("ByteStringSet keeps 200,000 distinct names and finds each of them again", () => {
  const set = new ArenaSet();
  const count = 200_000;
  for (let i = 0; i < count; i++) {
    assert.equal(set.add(bytes(`data/${i}.bin`)), true, `data/${i}.bin`);
  }
  assert.equal(set.size, count);
  for (let i = 0; i < count; i += 997) {
    assert.equal(set.add(bytes(`data/${i}.bin`)), false, `data/${i}.bin`);
  }
  assert.equal(set.add(bytes(`data/${count}.bin`)), true);
  assert.equal(set.size, count + 1);
});

Deno.test("ByteStringSet stays exact when every name has the same hash", () => {
  for (const hash of [COLLIDING_HASH, PARITY_HASH]) {
    const set = new ArenaSet(hash);
    const names = Array.from({ length: 2_000 }, (_, i) => `n${i}`);
    for (const name of names) assert.equal(set.add(bytes(name)), true, name);
    for (const name of names) assert.equal(set.add(bytes(name)), false, name);
    // Prefixes and extensions of stored names are other names.
    assert.equal(set.add(bytes("n")), true);
    assert.equal(set.add(bytes("n19999")), true);
    assert.equal(set.add(bytes("")), true);
    assert.equal(set.add(bytes("")), false);
    assert.equal(set.size, names.length + 3);
  }
});

Deno.test("ByteStringSet compares bytes exactly: case and Unicode forms differ", () => {
  const set = new ArenaSet(COLLIDING_HASH);
  assert.equal(set.add(bytes("Readme.md")), true);
  assert.equal(set.add(bytes("README.md")), true);
  assert.equal(set.add(bytes("readme.md")), true);
  assert.equal(set.add(bytes("caf\u00e9")), true);
  assert.equal(set.add(bytes("cafe\u0301")), true);
  assert.equal(set.add(bytes("README.md")), false);
  assert.equal(set.add(bytes("caf\u00e9")), false);
});

Deno.test("ByteStringSet adds only the first `length` bytes when given a length", () => {
  const set = new ArenaSet();
  assert.equal(set.add(bytes("logs/"), 4), true);
  assert.equal(set.add(bytes("logs")), false);
  assert.equal(set.add(bytes("logs/")), true);
  assert.equal(set.add(bytes("logs/x"), 5), false);
});

Deno.test("claimName() refuses a name, or its file or folder twin, with the archive's message", () => {
  for (const hash of [undefined, COLLIDING_HASH]) {
    const directory = new CentralDirectory();
    const names = new ByteStringSet(directory, hash);
    // As the archive writer does: a claimed name's header follows.
    const claim = (name: string) => {
      claimName(names, name, bytes(name));
      directory.add(fields(name), 0, 0, 0, directory.size, false);
    };
    claim("a");
    claim("b/");
    claim("A");
    claim("a/b");
    assert.throws(() => claim("a"), duplicateError("a"));
    assert.throws(() => claim("a/"), duplicateError("a/"));
    assert.throws(() => claim("b"), duplicateError("b"));
    assert.throws(() => claim("b/"), duplicateError("b/"));
    assert.throws(() => claim("a/b/"), duplicateError("a/b/"));
    claim("B");
    claim("\u00e9t\u00e9/");
    assert.throws(
      () => claim("\u00e9t\u00e9"),
      duplicateError("\u00e9t\u00e9"),
    );
  }
});

Deno.test("zip() and predictLength() reject the same late duplicate among 70,000 names", async () => {
  const entries = () => [
    ...Array.from({ length: 70_000 }, (_, i) => ({ name: `f/${i}` })),
    { name: "f/12345/" },
  ];
  assert.throws(() => predictLength(entries()), duplicateError("f/12345/"));
  await assert.rejects(
    new Response(zip(entries())).arrayBuffer(),
    duplicateError("f/12345/"),
  );
});

Deno.test("every reader opens an archive whose names differ only in case", async () => {
  const entries = [
    { name: "Readme.md", data: "1" },
    { name: "README.md", data: "2" },
    { name: "docs/" },
    { name: "Docs", data: "3" },
  ];
  await assertOpensEverywhere(zip(entries, { compression: "store" }), entries);
});

Deno.test("ByteStringSet over a central directory finds names across many blocks, even when every hash collides", () => {
  for (const hash of [undefined, PARITY_HASH]) {
    const directory = new CentralDirectory();
    const names = new ByteStringSet(directory, hash);
    const count = hash === undefined ? 20_000 : 1_500;
    const nameOf = (i: number) => i % 10 === 0 ? `dir${i}/` : `f/${i}.txt`;
    for (let i = 0; i < count; i++) {
      const name = bytes(nameOf(i));
      assert.equal(names.add(name, nameKeyLength(name, 0, name.length)), true);
      directory.add(fields(nameOf(i)), 0, 0, 0, directory.size, false);
    }
    for (let i = 0; i < count; i += 7) {
      const twin = nameOf(i).endsWith("/") ? nameOf(i).slice(0, -1) : nameOf(i);
      const key = bytes(twin);
      assert.equal(names.add(key, key.length), false, twin);
    }
    assert.equal(names.size, count);
  }
});

Deno.test("ByteStringSet refuses a second name before the first was stored", () => {
  const set = new ByteStringSet(new ByteStringArena());
  assert.equal(set.add(bytes("a")), true);
  assert.throws(
    () => set.add(bytes("b")),
    new Error(
      "Cannot check a name against the archive's names: expected 1 names stored but found 0",
    ),
  );
});

Deno.test("ByteStringSet.has() finds the first `length` bytes without adding them, even when every hash collides", () => {
  const arena = new ByteStringArena();
  const set = new ByteStringSet(arena, COLLIDING_HASH);
  for (const name of ["a", "a/b", "c"]) {
    assert.equal(set.add(bytes(name)), true);
    arena.append(bytes(name));
  }
  assert.equal(set.has(bytes("a/b/c.txt"), 3), true);
  assert.equal(set.has(bytes("a/b/c.txt"), 1), true);
  assert.equal(set.has(bytes("a/b/c.txt"), 2), false);
  assert.equal(set.has(bytes("A")), false);
  assert.equal(set.size, 3);
});
