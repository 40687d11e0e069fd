/**
 * The time zone of the DOS date and time fields: UTC by default, so the
 * bytes do not depend on the machine; any zone on request. What each reader
 * shows is checked against the reader itself.
 */

import assert from "node:assert/strict";
import { zip, type ZipOptions } from "../../mod.ts";
import {
  readWithPython,
  testWith7z,
  testWithUnzip,
  withArchiveFile,
} from "../_readers.ts";
import { bytesOf } from "../_data.ts";

// 23:30:10 UTC on 2026-03-04: already 2026-03-05 in Tokyo, still the 4th in New York.
const WHEN = Date.UTC(2026, 2, 4, 23, 30, 10);
// Before 1970 the extended timestamp is left out: the DOS fields stand alone.
const BEFORE_1970 = Date.UTC(1960, 0, 1);

async function readTimes(options: ZipOptions) {
  const archive = await bytesOf(
    zip([{ name: "a.txt", data: "a" }], { lastModified: WHEN, ...options }),
  );
  return await withArchiveFile(archive, async (path) => ({
    python: (await readWithPython(path)).entries[0]!.dateTime,
    zipinfo: (await testWithUnzip(path)).entries[0]!.time,
    sevenZip: (await testWith7z(path)).entries[0]!.modified,
    archive,
  }));
}

Deno.test("DOS fields are written in UTC by default, and in the zone asked for", async () => {
  const utc = await readTimes({});
  assert.deepEqual(utc.python, [2026, 3, 4, 23, 30, 10]);
  const tokyo = await readTimes({ timeZone: "Asia/Tokyo" });
  assert.deepEqual(tokyo.python, [2026, 3, 5, 8, 30, 10]);
  const newYork = await readTimes({ timeZone: "America/New_York" });
  assert.deepEqual(newYork.python, [2026, 3, 4, 18, 30, 10]);
  // Readers that take the extended timestamp show the same instant whatever
  // the DOS fields say (the harness runs them with TZ=UTC).
  for (const times of [utc, tokyo, newYork]) {
    assert.equal(times.zipinfo, "20260304.233010");
    assert.equal(times.sevenZip, "2026-03-04 23:30:10");
  }
  assert.deepEqual(await readTimes({ timeZone: "UTC" }), utc);
});

Deno.test('timeZone "local" uses the zone of the runtime', async () => {
  // A child runtime in Kolkata (UTC+5:30, no daylight saving) writes it.
  const mod = new URL("../../mod.ts", import.meta.url).href;
  const script = `import { zip } from ${JSON.stringify(mod)};
    const archive = zip([{ name: "a.txt", data: "a" }],
      { lastModified: ${WHEN}, timeZone: "local" });
    await archive.pipeTo(Deno.stdout.writable);`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env: { TZ: "Asia/Kolkata" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const python = await withArchiveFile(output.stdout, readWithPython);
  assert.deepEqual(python.entries[0]!.dateTime, [2026, 3, 5, 5, 0, 10]);
});

Deno.test("times DOS cannot hold are clamped in every zone", async () => {
  for (const timeZone of ["UTC", "Asia/Tokyo", "local"]) {
    const archive = await bytesOf(
      zip([{ name: "old.txt", data: "o", lastModified: BEFORE_1970 }], {
        timeZone,
      }),
    );
    const python = await withArchiveFile(archive, readWithPython);
    assert.deepEqual(python.entries[0]!.dateTime, [1980, 1, 1, 0, 0, 0]);
  }
});

Deno.test("an unknown time zone is refused before anything is written", () => {
  assert.throws(() => zip([], { timeZone: "Mars/Olympus" }), {
    name: "RangeError",
    message:
      'Cannot create the archive: invalid option timeZone: expected "UTC", "local" or an IANA time zone this runtime knows but received "Mars/Olympus"',
  });
  assert.throws(() => zip([], { timeZone: 9 as unknown as string }), {
    name: "TypeError",
    message:
      'Cannot create the archive: invalid option timeZone: expected a string ("UTC", "local" or an IANA name) but received number 9',
  });
});
