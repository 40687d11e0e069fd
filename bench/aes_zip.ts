/**
 * `zip()` with a password against zip.js's WinZip AES-256, side by side in
 * one process: MB/s of input for one 64 MiB entry stored (random bytes) and
 * deflated at level 6 (log text), and the time of 2,000 small entries (where
 * PBKDF2's 1,000 iterations per entry dominate). zipstream runs without
 * deflate workers (as zip.js, configured without Web Workers), and plain
 * (no password) as a reference. Each case runs once to warm up, then 3
 * times; the median is shown.
 *
 *     deno run -A bench/aes_zip.ts
 *
 * @module
 */

// Peers stay out of the package import map: only the benchmarks use them.
// deno-lint-ignore no-import-prefix
import * as zipjs from "npm:@zip.js/zip.js@2.24.0";
import { zip, type ZipEntry } from "../mod.ts";
import { logText, randomBytes } from "./_inputs.ts";

zipjs.configure({ useWebWorkers: false, useCompressionStream: true });

const MIB = 1024 * 1024;
const PASSWORD = "correct horse battery staple";
const RUNS = 3;
const SMALL_COUNT = 2000;
const SMALL = new TextEncoder().encode("a small file of a few bytes\n");

interface Case {
  name: string;
  data: Uint8Array;
  method: "store" | "deflate";
}

const CASES: Case[] = [
  {
    name: "64 MiB stored (random)",
    data: randomBytes(64 * MIB),
    method: "store",
  },
  {
    name: "64 MiB deflated -6 (log text)",
    data: logText(64 * MIB),
    method: "deflate",
  },
];

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let length = 0;
  for await (const chunk of stream) length += chunk.length;
  return length;
}

function zipstream(
  entries: ZipEntry[],
  method: "store" | "deflate",
  password: string | undefined,
): Promise<number> {
  return drain(zip(entries, {
    compression: method,
    level: 6,
    workers: 0,
    lastModified: 0,
    ...(password === undefined ? {} : { password }),
  }));
}

async function zipJs(
  entries: { name: string; data: Uint8Array }[],
  method: "store" | "deflate",
): Promise<number> {
  let length = 0;
  const writer = new zipjs.ZipWriter(
    new WritableStream<Uint8Array>({
      write(chunk) {
        length += chunk.length;
      },
    }),
    {
      level: method === "store" ? 0 : 6,
      password: PASSWORD,
      encryptionStrength: 3,
      keepOrder: true,
    },
  );
  for (const entry of entries) {
    await writer.add(entry.name, new zipjs.Uint8ArrayReader(entry.data));
  }
  await writer.close();
  return length;
}

async function median(run: () => Promise<number>): Promise<number> {
  await run(); // warm-up: compiles the code paths, fills the pools
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

const rows: string[] = [
  "| case | zipstream plain | zipstream AES-256 | zip.js AES-256 |",
  "| --- | --- | --- | --- |",
];
for (const { name, data, method } of CASES) {
  const mbps = (ms: number) =>
    `${(data.length / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
  const entries = () => [{ name: "data.bin", data }];
  const plain = await median(() => zipstream(entries(), method, undefined));
  const aes = await median(() => zipstream(entries(), method, PASSWORD));
  const peer = await median(() => zipJs(entries(), method));
  rows.push(`| ${name} | ${mbps(plain)} | ${mbps(aes)} | ${mbps(peer)} |`);
}
{
  const entries = () =>
    Array.from({ length: SMALL_COUNT }, (_, i) => ({
      name: `small/${i}.txt`,
      data: SMALL,
    }));
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const plain = await median(() => zipstream(entries(), "store", undefined));
  const aes = await median(() => zipstream(entries(), "store", PASSWORD));
  const peer = await median(() => zipJs(entries(), "store"));
  rows.push(
    `| ${SMALL_COUNT} entries of ${SMALL.length} B, stored | ${
      seconds(plain)
    } | ${seconds(aes)} | ${seconds(peer)} |`,
  );
}
console.log(rows.join("\n"));
