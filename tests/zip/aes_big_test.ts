/**
 * Encrypted ZIP64 end to end: an entry past 4 GiB of declared size streamed
 * into bsdtar through a pipe as it is made (never stored), one of unknown
 * size written to a file for 7-Zip, a deflated one of unknown size (which
 * deflates to a sixteenth) for both, and 70,000 encrypted entries, opened by
 * 7-Zip and by bsdtar from a pipe. The tests
 * are in this file of their own so that the suite runs it beside the others.
 */

import assert from "node:assert/strict";
import { crc32, predictLength, zip, type ZipEntry } from "../../mod.ts";
import { digestOf, withTempDir } from "../_readers.ts";
import { pseudoRandom } from "../_data.ts";
import { bsdtarPipe, testWith7z } from "./_aes_readers.ts";

const MIB = 1024 * 1024;
const FOUR_GIB = 4 * 1024 * MIB;
const PASSWORD = "big secret";
const OPTIONS = { lastModified: Date.UTC(2026, 11, 6, 5, 0, 0) };
const BLOCK = pseudoRandom(MIB, 20261206);

/** `size` bytes of BLOCK repeated, in 1 MiB chunks. */
function* repeated(size: number): Generator<Uint8Array> {
  for (let left = size; left > 0; left -= MIB) {
    yield left >= MIB ? BLOCK : BLOCK.subarray(0, left);
  }
}

/** The data of a huge entry then a small one, as readers extract them. */
function* contents(size: number, after: string): Generator<Uint8Array> {
  yield* repeated(size);
  yield new TextEncoder().encode(after);
}

Deno.test("an encrypted entry past 4 GiB of declared size streams into bsdtar through a pipe with its exact contents, as long as predictLength() says", async () => {
  const size = FOUR_GIB + MIB / 2 + 5;
  const after = "a small entry after 4 GiB";
  const entries = (): ZipEntry[] => [
    {
      name: "declared.bin",
      data: ReadableStream.from(repeated(size)),
      size,
      compression: "store",
    },
    { name: "after.txt", data: after },
  ];
  const options = {
    ...OPTIONS,
    password: PASSWORD,
    compression: "store" as const,
  };
  const bsdtar = new Deno.Command("bsdtar", {
    args: ["--passphrase", PASSWORD, "-xOf", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const extracted = digestOf(bsdtar.stdout);
  const stderr = new Response(bsdtar.stderr).text();
  let length = 0;
  await zip(entries(), options).pipeThrough(
    new TransformStream({
      transform(chunk, controller) {
        length += chunk.length;
        controller.enqueue(chunk);
      },
    }),
  ).pipeTo(bsdtar.stdin);
  const status = await bsdtar.status;
  assert.equal(status.code, 0, await stderr);
  assert.deepEqual(await extracted, await digestOf(contents(size, after)));
  assert.equal(length, predictLength(entries(), options));
});

Deno.test("an encrypted entry past 4 GiB of unknown size, with ZIP64 data descriptors, opens in 7-Zip with its exact contents", async () => {
  const size = FOUR_GIB + 12_345;
  const after = "after the unknown size";
  await withTempDir(async (dir) => {
    const path = `${dir}/huge.zip`;
    await zip([
      {
        name: "huge.bin",
        data: ReadableStream.from(repeated(size)),
        compression: "store",
        zip64: true,
      },
      { name: "after.txt", data: after },
    ], { ...OPTIONS, password: PASSWORD, encryption: "AE-1" }).pipeTo(
      (await Deno.create(path)).writable,
    );
    // 7-Zip alone: bsdtar decrypts past 4 GiB in the test above (from a
    // pipe, where it would end this entry's stored data of unknown size at
    // the first descriptor signature, which 4 GiB of ciphertext holds about
    // once: see the README), and each 4 GiB it decrypts costs a minute.
    const sevenZip = new Deno.Command("7z", {
      args: ["x", "-so", `-p${PASSWORD}`, path],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const [status, digest, stderr] = await Promise.all([
      sevenZip.status,
      digestOf(sevenZip.stdout),
      new Response(sevenZip.stderr).text(),
    ]);
    assert.equal(status.code, 0, stderr);
    assert.deepEqual(digest, await digestOf(contents(size, after)));
  });
});

Deno.test("a deflated encrypted entry past 4 GiB of unknown size, with ZIP64 data descriptors, opens in 7-Zip and in bsdtar from a pipe with its exact contents", async () => {
  // Log lines repeated within deflate's window: 4 GiB deflate in seconds
  // to a few hundred MiB, which the readers decrypt much faster than 4 GiB.
  const lines = new TextEncoder().encode(
    Array.from(
      { length: 400 },
      (_, i) => `2026-12-06T09:${i % 60} GET /item/${i * 7919} 200 ${i * 31}\n`,
    ).join(""),
  );
  const chunk = new Uint8Array(MIB);
  for (let at = 0; at < MIB; at += lines.length) {
    chunk.set(lines.subarray(0, Math.min(lines.length, MIB - at)), at);
  }
  const size = FOUR_GIB + 3 * MIB + 777;
  const text = function* (): Generator<Uint8Array> {
    for (let left = size; left > 0; left -= MIB) {
      yield left >= MIB ? chunk : chunk.subarray(0, left);
    }
  };
  const after = "after the deflated 4 GiB";
  await withTempDir(async (dir) => {
    const path = `${dir}/deflated.zip`;
    await zip([
      { name: "huge.log", data: ReadableStream.from(text()), zip64: true },
      { name: "after.txt", data: after },
    ], { ...OPTIONS, password: PASSWORD, level: 1 }).pipeTo(
      (await Deno.create(path)).writable,
    );
    const archiveSize = (await Deno.stat(path)).size;
    assert.ok(archiveSize < size / 8, `${archiveSize} bytes: deflated`);
    const expected = await digestOf(
      (function* () {
        yield* text();
        yield new TextEncoder().encode(after);
      })(),
    );
    const sevenZip = new Deno.Command("7z", {
      args: ["x", "-so", `-p${PASSWORD}`, path],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const bsdtar = new Deno.Command("bsdtar", {
      args: ["--passphrase", PASSWORD, "-xOf", "-"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const piped = (await Deno.open(path)).readable.pipeTo(bsdtar.stdin);
    const [sevenStatus, sevenDigest, sevenErr, tarStatus, tarDigest, tarErr] =
      await Promise.all([
        sevenZip.status,
        digestOf(sevenZip.stdout),
        new Response(sevenZip.stderr).text(),
        bsdtar.status,
        digestOf(bsdtar.stdout),
        new Response(bsdtar.stderr).text(),
        piped,
      ]);
    assert.equal(sevenStatus.code, 0, sevenErr);
    assert.deepEqual(sevenDigest, expected, "7-Zip");
    assert.equal(tarStatus.code, 0, tarErr);
    assert.deepEqual(tarDigest, expected, "bsdtar from a pipe");
  });
});

Deno.test("70,000 encrypted entries open in 7-Zip and in bsdtar from a pipe, and predictLength() knows their length", async () => {
  const count = 70_000;
  const entries = function* (): Generator<ZipEntry> {
    for (let i = 0; i < count; i++) {
      yield { name: `many/${i}.txt`, data: `entry ${i}\n` };
    }
  };
  const options = {
    ...OPTIONS,
    password: PASSWORD,
    compression: "store" as const,
  };
  let expectedText = "";
  for (let i = 0; i < count; i++) expectedText += `entry ${i}\n`;
  await withTempDir(async (dir) => {
    const path = `${dir}/many.zip`;
    await zip(entries(), options).pipeTo((await Deno.create(path)).writable);
    assert.equal(
      (await Deno.stat(path)).size,
      predictLength(entries(), options),
    );
    const [tested, piped] = await Promise.all([
      testWith7z(path, PASSWORD),
      bsdtarPipe(path, PASSWORD),
    ]);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /Files: 70000/);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(
      crc32(new TextEncoder().encode(piped.stdout)),
      crc32(new TextEncoder().encode(expectedText)),
    );
    assert.equal(piped.stdout.length, expectedText.length);
  });
});
