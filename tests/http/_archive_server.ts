/**
 * What the HTTP tests serve and how: planned archives of real entries
 * (non-ASCII names, a directory, an empty file, a few MiB of data), sources
 * that fail or change part-way, a stub plan that breaks its own contract,
 * and a `Deno.serve` server on 127.0.0.1 that is shut down after each test.
 *
 * @module
 */

import { planZip, type RangedSource, type ZipPlan } from "../../mod.ts";
import { serveZip, type ServeZipOptions } from "../../src/http/mod.ts";
import type { ExpectedEntry } from "../_readers.ts";
import { bytesOf, pseudoRandom } from "../_data.ts";

/** A planned archive with what its readers must find and all its bytes. */
export interface TestArchive {
  plan: ZipPlan;
  expected: ExpectedEntry[];
  bytes: Uint8Array;
}

const MIB = 1 << 20;

/** The entries of {@linkcode sampleArchive}: about 3.5 MiB in six entries. */
export function sampleEntries(): ExpectedEntry[] {
  return [
    { name: "README.txt", data: "A planned archive, served over HTTP.\n" },
    { name: "données/été 2026.bin", data: pseudoRandom(2 * MIB + 17, 1) },
    { name: "日本語/ファイル.txt", data: "こんにちは、世界\n".repeat(4000) },
    { name: "empty.txt", data: "" },
    { name: "folder/" },
    { name: "tail.bin", data: pseudoRandom(MIB + 3, 2) },
  ];
}

/**
 * Plans the sample entries: the data as `RangedSource`s given by `source`
 * (plain bytes by default), so that a test can wrap them.
 */
export async function sampleArchive(
  source: (name: string, data: Uint8Array) => RangedSource | Uint8Array = (
    _,
    data,
  ) => data,
): Promise<TestArchive> {
  const expected = sampleEntries();
  const encoder = new TextEncoder();
  const plan = await planZip(
    expected.map(({ name, data }) => {
      if (data === undefined) return { name };
      const bytes = typeof data === "string" ? encoder.encode(data) : data;
      return { name, data: source(name, bytes) };
    }),
    { lastModified: Date.UTC(2026, 0, 2, 3, 4, 5) },
  );
  return { plan, expected, bytes: await bytesOf(plan.slice(0)) };
}

/** A source of `data` that counts its reads and their cancellations. */
export class CountingSource implements RangedSource {
  readonly size: number;
  readonly identity: string;
  reads = 0;
  cancels = 0;
  readonly #data: Uint8Array;

  constructor(data: Uint8Array, identity: string) {
    this.#data = data;
    this.size = data.length;
    this.identity = identity;
  }

  read(start: number, end: number): ReadableStream<Uint8Array> {
    this.reads++;
    let at = start;
    // 64 KiB at a time, so that a slow reader can cancel part-way.
    return new ReadableStream({
      pull: (controller) => {
        const next = Math.min(end, at + 65536);
        controller.enqueue(this.#data.slice(at, next));
        at = next;
        if (at === end) controller.close();
      },
      cancel: () => {
        this.cancels++;
      },
    }, { highWaterMark: 0 });
  }
}

/**
 * A source of `data` whose data changes once `changed` is set (after the
 * plan was made, which reads it for its CRC): from byte `changeAt` on, its
 * reads fail (`"error"`, as an S3 read with If-Match does) or end
 * (`"fewer bytes"`, a file truncated).
 */
export class ChangingSource implements RangedSource {
  readonly size: number;
  readonly identity = "changing";
  changed = false;
  readonly #data: Uint8Array;
  readonly #changeAt: number;
  readonly #how: "error" | "fewer bytes";

  constructor(
    data: Uint8Array,
    changeAt: number,
    how: "error" | "fewer bytes",
  ) {
    this.#data = data;
    this.size = data.length;
    this.#changeAt = changeAt;
    this.#how = how;
  }

  read(start: number, end: number): ReadableStream<Uint8Array> {
    const stop = this.changed ? Math.min(end, this.#changeAt) : end;
    let at = start;
    return new ReadableStream({
      pull: (controller) => {
        if (at >= stop && stop < end) {
          if (this.#how === "error") {
            controller.error(new Error("The source changed"));
          } else {
            controller.close();
          }
          return;
        }
        const next = Math.min(stop, at + 65536);
        controller.enqueue(this.#data.slice(at, next));
        at = next;
        if (at === end) controller.close();
      },
    }, { highWaterMark: 0 });
  }
}

/**
 * A `ZipPlan` over `bytes` (not an archive) whose slices give `extra` bytes
 * more than asked, or fewer when negative: a plan that breaks the contract
 * `serveZip` relies on.
 */
export function stubPlan(bytes: Uint8Array, extra: number): ZipPlan {
  return {
    size: bytes.length,
    etag: '"stub-1"',
    lastModified: Date.UTC(2026, 0, 2, 3, 4, 5),
    entries: [],
    slice(start, end = bytes.length) {
      const given = new Uint8Array(Math.max(0, end - start + extra));
      given.set(bytes.subarray(start, Math.min(end, start + given.length)));
      return ReadableStream.from([given]);
    },
  };
}

/**
 * `plan`, except that the body of its first slice fails after `at` bytes:
 * the server then cuts the first download there, as a dropped connection
 * would, and serves the next ones whole.
 */
export function cutFirstDownload(plan: ZipPlan, at: number): ZipPlan {
  let cut = false;
  return {
    size: plan.size,
    etag: plan.etag,
    lastModified: plan.lastModified,
    entries: plan.entries,
    slice(start, end) {
      const slice = plan.slice(start, end);
      if (cut) return slice;
      cut = true;
      let passed = 0;
      return slice.pipeThrough(
        new TransformStream({
          transform(chunk, controller) {
            const kept = chunk.subarray(0, Math.max(0, at - passed));
            passed += kept.length;
            if (kept.length > 0) controller.enqueue(kept);
            if (passed === at) throw new Error("The test cut the download");
          },
        }),
      );
    },
  };
}

/** The request headers a test server saw that matter to ranges. */
export interface SeenRequest {
  method: string;
  range: string | null;
  ifRange: string | null;
}

/**
 * Runs `fn` with the URL of a local server of `plan` and the requests it
 * has seen so far, then shuts the server down.
 */
export async function withArchiveServer<T>(
  plan: ZipPlan,
  fn: (url: string, seen: readonly SeenRequest[]) => Promise<T>,
  options?: ServeZipOptions,
): Promise<T> {
  const seen: SeenRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      seen.push({
        method: request.method,
        range: request.headers.get("range"),
        ifRange: request.headers.get("if-range"),
      });
      return serveZip(request, plan, options);
    },
  );
  try {
    return await fn(`http://127.0.0.1:${server.addr.port}/archive.zip`, seen);
  } finally {
    await server.shutdown();
  }
}

/** How a command line tool ended, its output decoded. */
export interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a download tool with no input, capturing its output. */
export async function runClient(
  command: string,
  args: readonly string[],
): Promise<ToolRun> {
  const { code, stdout, stderr } = await new Deno.Command(command, {
    args: [...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    // No proxy from the environment may stand between a client and 127.0.0.1.
    env: { no_proxy: "*", NO_PROXY: "*" },
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
  };
}
