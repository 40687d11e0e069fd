/**
 * A source whose data changes after the archive was planned, fetched by
 * real clients: every one of them must see a failed transfer, never a
 * complete file with wrong bytes.
 */

import assert from "node:assert/strict";
import { assertSameBytes } from "../_data.ts";
import { withTempDir } from "../_readers.ts";
import {
  ChangingSource,
  runClient,
  sampleArchive,
  type TestArchive,
  withArchiveServer,
} from "./_archive_server.ts";

const CHANGE_AT = 300_000;

/** The sample archive with its 2 MiB entry changed from byte 300,000 on. */
async function changedArchive(
  how: "error" | "fewer bytes",
): Promise<TestArchive & { changeOffset: number }> {
  let source: ChangingSource | undefined;
  const archive = await sampleArchive((name, data) => {
    if (name !== "données/été 2026.bin") return data;
    source = new ChangingSource(data, CHANGE_AT, how);
    return source;
  });
  source!.changed = true;
  const entry = archive.plan.entries.find((e) =>
    e.name === "données/été 2026.bin"
  )!;
  return { ...archive, changeOffset: entry.dataOffset + CHANGE_AT };
}

/** Asserts that the file at `path` holds the planned bytes up to the change, and no more. */
async function assertCutBeforeChange(
  path: string,
  expected: Uint8Array,
  changeOffset: number,
  from = 0,
): Promise<void> {
  const got = await Deno.readFile(path);
  assert.ok(got.length <= changeOffset - from, `${got.length} bytes`);
  assertSameBytes(got, expected.subarray(from, from + got.length), path);
}

for (const how of ["error", "fewer bytes"] as const) {
  Deno.test(`curl sees a failed transfer when a source gives ${how === "error" ? "an error" : "fewer bytes"} mid-download`, async () => {
    const { plan, bytes, changeOffset } = await changedArchive(how);
    await withTempDir(async (dir) => {
      const path = `${dir}/archive.zip`;
      await withArchiveServer(plan, async (url) => {
        const whole = await runClient("curl", ["-sS", "-o", path, url]);
        // 18: "Partial file. Only a part of the file was transferred."
        assert.equal(whole.code, 18, whole.stderr);
        await assertCutBeforeChange(path, bytes, changeOffset);

        const resumed = await runClient("curl", [
          "-sS",
          "-C",
          "-",
          "-o",
          path,
          url,
        ]);
        assert.equal(resumed.code, 18, resumed.stderr);
        await assertCutBeforeChange(path, bytes, changeOffset);

        const start = changeOffset - 1000;
        const range = await runClient("curl", [
          "-sS",
          "-r",
          `${start}-${changeOffset + 1000}`,
          "-o",
          path,
          url,
        ]);
        assert.equal(range.code, 18, range.stderr);
        await assertCutBeforeChange(path, bytes, changeOffset, start);

        const multipart = await runClient("curl", [
          "-sS",
          "-r",
          `0-99,${start}-${changeOffset + 1000}`,
          "-o",
          path,
          url,
        ]);
        assert.equal(multipart.code, 18, multipart.stderr);
      });
    });
  });
}

Deno.test("wget and aria2c see a failed transfer when a source changes mid-download", async () => {
  const { plan, bytes, changeOffset } = await changedArchive("error");
  await withTempDir(async (dir) => {
    await withArchiveServer(plan, async (url) => {
      const wget = await runClient("wget", [
        "-q",
        "--tries=1",
        "-P",
        `${dir}/wget`,
        url,
      ]);
      // 4: "Network failure."
      assert.equal(wget.code, 4, wget.stderr);
      await assertCutBeforeChange(
        `${dir}/wget/archive.zip`,
        bytes,
        changeOffset,
      );

      const aria2 = await runClient("aria2c", [
        "-x",
        "4",
        "-s",
        "4",
        "-k",
        "1M",
        "--max-tries=1",
        "--console-log-level=error",
        "--summary-interval=0",
        "--download-result=hide",
        "-d",
        `${dir}/aria2`,
        "-o",
        "archive.zip",
        url,
      ]);
      assert.notEqual(aria2.code, 0, "aria2c succeeded");
      // aria2c keeps its control file beside an unfinished download, so
      // that nothing takes it for a whole one.
      await Deno.stat(`${dir}/aria2/archive.zip.aria2`);
    });
  });
});
