/**
 * serveZip() behind a real server, fetched by real clients: curl for single
 * and multiple ranges, curl and wget resuming a cut download, aria2
 * downloading in parallel segments, and the independent ZIP readers
 * opening what they downloaded.
 */

import assert from "node:assert/strict";
import { planZip } from "../../mod.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";
import { assertSameBytes } from "../_data.ts";
import {
  CountingSource,
  cutFirstDownload,
  runClient,
  sampleArchive,
  type ToolRun,
  withArchiveServer,
} from "./_archive_server.ts";
import { parseByteranges } from "./_multipart.ts";

const archive = await sampleArchive();
const { plan, bytes } = archive;
const size = plan.size;
const MIB = 1 << 20;

function assertRan(run: ToolRun, what: string): void {
  assert.equal(run.code, 0, `${what} failed:\n${run.stderr}`);
}

Deno.test("curl fetches single ranges of the archive byte for byte", async () => {
  const entry = plan.entries.find((e) => e.name === "données/été 2026.bin")!;
  const ranges: [string, number, number][] = [
    ["0-0", 0, 0],
    ["0-29", 0, 29],
    [
      `${entry.offset}-${entry.dataOffset + 99}`,
      entry.offset,
      entry.dataOffset + 99,
    ],
    ["1000-1500000", 1000, 1_500_000],
    [`${2 * MIB}-`, 2 * MIB, size - 1],
    ["-22", size - 22, size - 1],
    [`0-${size - 1}`, 0, size - 1],
    [`100-${size + 5000}`, 100, size - 1],
  ];
  await withTempDir(async (dir) => {
    await withArchiveServer(plan, async (url) => {
      for (const [range, start, end] of ranges) {
        const path = `${dir}/range.bin`;
        const run = await runClient("curl", [
          "-sS",
          "-f",
          "-r",
          range,
          "-o",
          path,
          "-w",
          "%{http_code}",
          url,
        ]);
        assertRan(run, `curl -r ${range}`);
        assert.equal(run.stdout, "206", range);
        assertSameBytes(
          await Deno.readFile(path),
          bytes.subarray(start, end + 1),
          `curl -r ${range}`,
        );
      }
    });
  });
});

Deno.test("curl fetches several ranges as multipart/byteranges", async () => {
  const asks: [string, [number, number][]][] = [
    ["0-99,2000-2999,-22", [[0, 99], [2000, 2999], [size - 22, size - 1]]],
    // Overlapping ranges come back merged, in the order asked.
    [`${MIB}-${2 * MIB},0-9,${MIB + 5}-${MIB + 10}`, [[MIB, 2 * MIB], [0, 9]]],
  ];
  await withTempDir(async (dir) => {
    await withArchiveServer(plan, async (url) => {
      for (const [range, expected] of asks) {
        const run = await runClient("curl", [
          "-sS",
          "-f",
          "-r",
          range,
          "-D",
          `${dir}/headers.txt`,
          "-o",
          `${dir}/body.bin`,
          url,
        ]);
        assertRan(run, `curl -r ${range}`);
        const headers = await Deno.readTextFile(`${dir}/headers.txt`);
        assert.match(headers, /^HTTP\/1\.1 206 /);
        const type = /^content-type: (.*)\r$/im.exec(headers)![1]!;
        const body = await Deno.readFile(`${dir}/body.bin`);
        const length = /^content-length: (\d+)\r$/im.exec(headers)![1]!;
        assert.equal(Number(length), body.length);
        const parts = parseByteranges(body, type);
        assert.deepEqual(parts.map(({ start, end }) => [start, end]), expected);
        for (const part of parts) {
          assertSameBytes(part.bytes, bytes.subarray(part.start, part.end + 1));
        }
      }
    });
  });
});

Deno.test("curl -C - resumes a cut download into the same archive", async () => {
  const cutAt = 1_300_000;
  await withTempDir(async (dir) => {
    const path = `${dir}/archive.zip`;
    await withArchiveServer(
      cutFirstDownload(plan, cutAt),
      async (url, seen) => {
        const first = await runClient("curl", ["-sS", "-o", path, url]);
        // 18: "Partial file. Only a part of the file was transferred."
        assert.equal(first.code, 18, first.stderr);
        assert.equal((await Deno.stat(path)).size, cutAt);
        const resumed = await runClient("curl", [
          "-sS",
          "-f",
          "-C",
          "-",
          "-o",
          path,
          url,
        ]);
        assertRan(resumed, "curl -C -");
        assert.deepEqual(seen.map(({ range }) => range), [
          null,
          `bytes=${cutAt}-`,
        ]);
      },
    );
    assertSameBytes(await Deno.readFile(path), bytes, "resumed by curl");
  });
});

Deno.test("wget -c resumes a cut download into the same archive", async () => {
  const cutAt = 2_500_001;
  await withTempDir(async (dir) => {
    await withArchiveServer(
      cutFirstDownload(plan, cutAt),
      async (url, seen) => {
        const wget = ["-q", "--tries=1", "-P", dir, url];
        const first = await runClient("wget", wget);
        // 4: "Network failure."
        assert.equal(first.code, 4, first.stderr);
        assert.equal((await Deno.stat(`${dir}/archive.zip`)).size, cutAt);
        assertRan(await runClient("wget", ["-c", ...wget]), "wget -c");
        assert.deepEqual(seen.map(({ range }) => range), [
          null,
          `bytes=${cutAt}-`,
        ]);
      },
    );
    assertSameBytes(
      await Deno.readFile(`${dir}/archive.zip`),
      bytes,
      "resumed by wget",
    );
  });
});

Deno.test("aria2c downloads the archive in parallel segments that the ZIP readers open", async () => {
  await withTempDir(async (dir) => {
    await withArchiveServer(plan, async (url, seen) => {
      const run = await runClient("aria2c", [
        "-x",
        "8",
        "-s",
        "8",
        "-k",
        "1M",
        "--max-tries=1",
        "--file-allocation=none",
        "--console-log-level=error",
        "--summary-interval=0",
        "--download-result=hide",
        "-d",
        dir,
        "-o",
        "archive.zip",
        url,
      ]);
      assertRan(run, "aria2c");
      // One request per 1 MiB segment, each but the first for a range.
      const ranged = seen.filter(({ range }) => range !== null);
      assert.ok(ranged.length >= 3, JSON.stringify(seen));
    });
    const path = `${dir}/archive.zip`;
    assertSameBytes(await Deno.readFile(path), bytes, "downloaded by aria2c");
    await assertOpensEverywhere(path, archive.expected);
  });
});

Deno.test("curl -J and wget --content-disposition save the archive under its file name", async () => {
  const filename = "Résumé 2026.zip";
  await withTempDir(async (dir) => {
    await withArchiveServer(plan, async (url) => {
      assertRan(
        await runClient("wget", [
          "-q",
          "--content-disposition",
          "-P",
          `${dir}/wget`,
          url,
        ]),
        "wget",
      );
      // curl reads only filename, the ASCII fallback.
      await Deno.mkdir(`${dir}/curl`);
      assertRan(
        await runClient("curl", [
          "-sS",
          "-f",
          "-O",
          "-J",
          "--output-dir",
          `${dir}/curl`,
          url,
        ]),
        "curl -J",
      );
    }, { filename });
    assertSameBytes(
      await Deno.readFile(`${dir}/wget/${filename}`),
      bytes,
      "wget",
    );
    assertSameBytes(
      await Deno.readFile(`${dir}/curl/Resume 2026.zip`),
      bytes,
      "curl",
    );
  });
});

Deno.test("a client that goes away mid-download cancels the source being read", async () => {
  // Larger than the socket buffers on both sides, so that the server is
  // still reading when the client leaves.
  const source = new CountingSource(new Uint8Array(64 * MIB), "zeros");
  const big = await planZip([{ name: "zeros.bin", data: source }]);
  await withArchiveServer(big, async (url) => {
    // 1 MiB/s for at most a second.
    const run = await runClient("curl", [
      "-sS",
      "--limit-rate",
      "1M",
      "-m",
      "1",
      "-o",
      "/dev/null",
      url,
    ]);
    // 28: "Operation timeout."
    assert.equal(run.code, 28, run.stderr);
    for (let waited = 0; source.cancels === 0 && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(source.cancels, 1);
  });
});
