/**
 * The tail of a server-side build with appended entries, without a server:
 * the plan's bytes up to any point where the copied parts could end, then
 * the tail, are the bytes `zip()` writes for the plan's entries (stored,
 * with their CRCs) followed by the appended ones.
 */

import assert from "node:assert/strict";
import {
  crc32,
  type PlanEntry,
  planZip,
  zip,
  type ZipEntry,
} from "../../mod.ts";
import { tailOf } from "../../src/s3/_copy_tail.ts";
import { bytesOf, pseudoRandom } from "../_data.ts";

const LAST_MODIFIED = Date.UTC(2026, 11, 6, 12);

function text(length: number, seed: number): string {
  const words = ["zip", "stream", "copy", "seam", "part", "tail", "s3"];
  let out = "";
  for (let i = 0; out.length < length; i++) {
    out += words[(i * 7 + seed * 13 + (i >> 3)) % words.length] + " ";
  }
  return out.slice(0, length);
}

/** Plan entries of every kind a plan takes, and their zip() twins. */
function planned(): { plan: PlanEntry[]; twins: ZipEntry[] } {
  const big = pseudoRandom(300_000, 1);
  const blob = pseudoRandom(70_000, 2);
  const plan: PlanEntry[] = [
    { name: "a/", lastModified: LAST_MODIFIED },
    { name: "a/big.bin", data: big },
    { name: "a/blob.bin", data: new Blob([blob]), mode: 0o100600 },
    { name: "a/empty.txt", data: "" },
    { name: "a/link", data: "big.bin", mode: 0o120777 },
    { name: "a/forced64.txt", data: "ZIP64 fields", zip64: true, comment: "c" },
  ];
  const twins: ZipEntry[] = [
    { name: "a/", lastModified: LAST_MODIFIED },
    { name: "a/big.bin", data: big, crc32: crc32(big) },
    {
      name: "a/blob.bin",
      data: new Blob([blob]).stream(),
      size: blob.length,
      crc32: crc32(blob),
      mode: 0o100600,
    },
    { name: "a/empty.txt", data: "" },
    { name: "a/link", data: "big.bin", mode: 0o120777 },
    { name: "a/forced64.txt", data: "ZIP64 fields", zip64: true, comment: "c" },
  ];
  return {
    plan,
    twins: twins.map((entry) => ({ ...entry, compression: "store" })),
  };
}

/** Appended entries: deflated, stored, streamed of unknown size, empty. */
function appended(): ZipEntry[] {
  const streamed = new TextEncoder().encode(text(200_000, 4));
  return [
    { name: "b/log.txt", data: text(500_000, 3) },
    { name: "b/raw.bin", data: pseudoRandom(90_000, 5), compression: "store" },
    { name: "b/streamed.txt", data: new Blob([streamed]).stream() },
    { name: "b/empty/" },
    { name: "b/fast.txt", data: text(10_000, 6), level: 1 },
  ];
}

Deno.test("tailOf: the plan's bytes to any cut, then the tail, are zip() of the plan's entries and the appended ones", async () => {
  const options = { lastModified: LAST_MODIFIED, comment: "mixed" };
  const { plan: entries, twins } = planned();
  const plan = await planZip(entries, options);
  const expected = await bytesOf(
    zip([...twins, ...appended()], { ...options, level: 6 }),
  );
  const dataEnd = plan.entries.at(-1)!.dataOffset + plan.entries.at(-1)!.size;
  const bigEnd = plan.entries[1]!.dataOffset + plan.entries[1]!.size;
  for (const cut of [0, plan.entries[1]!.dataOffset + 5, bigEnd, dataEnd]) {
    const head = await bytesOf(plan.slice(0, cut));
    const tail = await bytesOf(tailOf(plan, cut, { entries: appended() }));
    const whole = new Uint8Array(head.length + tail.length);
    whole.set(head);
    whole.set(tail, head.length);
    assert.equal(whole.length, expected.length, `cut at ${cut}: length`);
    assert.ok(
      whole.every((byte, i) => byte === expected[i]),
      `cut at ${cut}: the bytes are zip()'s`,
    );
  }
});

Deno.test("tailOf writes the appended entries with the options given, and workers change nothing", async () => {
  const plan = await planZip(planned().plan, { lastModified: LAST_MODIFIED });
  const dataEnd = plan.entries.at(-1)!.dataOffset + plan.entries.at(-1)!.size;
  const stored = await bytesOf(
    tailOf(plan, dataEnd, { entries: appended(), compression: "store" }),
  );
  const level9 = await bytesOf(
    tailOf(plan, dataEnd, { entries: appended(), level: 9 }),
  );
  const workers = await bytesOf(
    tailOf(plan, dataEnd, { entries: appended(), level: 9, workers: 2 }),
  );
  assert.ok(stored.length > level9.length + 400_000, "store is larger");
  assert.deepEqual(workers, level9);
});

Deno.test("tailOf fails naming the entry when an appended name is one of the plan's", async () => {
  const plan = await planZip(planned().plan, { lastModified: LAST_MODIFIED });
  await assert.rejects(
    bytesOf(tailOf(plan, 0, { entries: [{ name: "a/big.bin", data: "x" }] })),
    /a\/big\.bin/,
  );
});

Deno.test("tailOf refuses a plan that planZip did not make", () => {
  assert.throws(
    () =>
      tailOf(
        {
          size: 0,
          etag: '"x"',
          entries: [],
          slice: () => new ReadableStream(),
        },
        0,
        { entries: [] },
      ),
    /expected a plan made by planZip\(\) but received another object/,
  );
});
