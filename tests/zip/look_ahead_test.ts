import assert from "node:assert/strict";
import { type WorkerStatus, zip, type ZipEntry } from "../../mod.ts";
import { INPUT_BLOCK_SIZE } from "../../src/zip/_deflater.ts";
import { ENTRY_COST } from "../../src/zip/_held_entry.ts";
import { LOOK_AHEAD_BYTES } from "../../src/zip/_look_ahead.ts";
import { assertSameBytes, bytesOf, chunked, pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere, type ExpectedEntry } from "../_readers.ts";
import { logText } from "./_log_text.ts";
import { withWorkers } from "./_logged_workers.ts";

const MiB = INPUT_BLOCK_SIZE;
const KiB = 1024;
const LAST_MODIFIED = Date.UTC(2026, 0, 1);
const TEXT = logText(8 * MiB);
const NOISE = pseudoRandom(2 * MiB, 7);

interface Spec {
  name: string;
  data: Uint8Array<ArrayBuffer>;
  shape: "bytes" | "string" | "stream";
  compression?: "store" | "deflate";
  level?: number;
}

/**
 * A tree of 400 entries: mostly small text given whole (some incompressible,
 * so stored; some at other levels), with streamed entries across the block
 * boundaries, stored ones, strings and empty ones in between.
 */
function tree(): Spec[] {
  const specs: Spec[] = [];
  let offset = 0;
  for (let i = 0; i < 400; i++) {
    const size = [0, 1, 12, 700, 4 * KiB, 33 * KiB, 90 * KiB, 300 * KiB][
      i % 8
    ]!;
    const shape = i % 37 === 5 ? "stream" : i % 23 === 3 ? "string" : "bytes";
    const streamSize = [MiB - 1, MiB + 1, 2 * MiB + 17, 3 * KiB][i % 4]!;
    const length = shape === "stream" ? streamSize : size;
    const noisy = i % 11 === 4;
    const pool = noisy ? NOISE : TEXT;
    const start = offset % (pool.length - length);
    offset += 40_961;
    specs.push({
      name: `dir${i % 9}/entry-${i}.${noisy ? "bin" : "log"}`,
      data: pool.subarray(start, start + length),
      shape,
      ...(i % 13 === 7 ? { compression: "store" as const } : {}),
      ...(i % 17 === 2 ? { level: (i % 10) as number } : {}),
    });
  }
  return specs;
}

const DECODER = new TextDecoder();

/** The entries of `specs`, streamed ones cut into `chunkSizes`; waits for `ready` after `waitAfter` entries. */
async function* entriesOf(
  specs: readonly Spec[],
  chunkSizes: number | readonly number[],
  ready: Promise<void> = Promise.resolve(),
  waitAfter = 60,
): AsyncGenerator<ZipEntry> {
  for (const [i, spec] of specs.entries()) {
    if (i === waitAfter) await ready;
    yield {
      name: spec.name,
      data: spec.shape === "stream"
        ? chunked(spec.data, chunkSizes)
        : spec.shape === "string"
        ? DECODER.decode(spec.data)
        : spec.data,
      ...(spec.compression === undefined
        ? {}
        : { compression: spec.compression }),
      ...(spec.level === undefined ? {} : { level: spec.level }),
    };
  }
}

Deno.test("zip() writes the same bytes for a tree of small entries with 0, 1 or 2 workers and any chunking", async () => {
  const specs = tree();
  const expected = await bytesOf(
    zip(entriesOf(specs, 65536), { workers: 0, lastModified: LAST_MODIFIED }),
  );
  for (const workers of [1, 2]) {
    for (const chunking of [65536, [4093, 1 << 17, 7]]) {
      await withWorkers(async (log) => {
        const statuses: WorkerStatus[] = [];
        const archive = await bytesOf(
          zip(entriesOf(specs, chunking, log.firstReady), {
            workers,
            lastModified: LAST_MODIFIED,
            onWorkers: (status) => statuses.push(status),
          }),
        );
        assertSameBytes(archive, expected, `${workers} workers, ${chunking}`);
        assert.equal(log.created, workers);
        assert.equal(log.terminated, workers);
        assert.ok(log.batches > 0, "entries given whole went to workers");
        assert.deepEqual(statuses, [{ state: "running", workers }]);
      });
    }
  }
  const expectedEntries: ExpectedEntry[] = specs.map((spec) => ({
    name: spec.name,
    // A string of bytes that are not UTF-8 holds replacement characters.
    data: spec.shape === "string"
      ? new TextEncoder().encode(DECODER.decode(spec.data))
      : spec.data,
  }));
  await assertOpensEverywhere(expected, expectedEntries);
});

Deno.test("zip() starts no worker for a few small entries given whole", async () => {
  await withWorkers(async (log) => {
    const statuses: WorkerStatus[] = [];
    const entries = Array.from({ length: 50 }, (_, i) => ({
      name: `${i}.txt`,
      data: TEXT.subarray(i * 12, i * 12 + 12),
    }));
    await bytesOf(zip(entries, {
      workers: 2,
      onWorkers: (status) => statuses.push(status),
    }));
    assert.equal(log.created, 0);
    assert.deepEqual(statuses, []);
  });
});

Deno.test("zip() holds at most its look-ahead budget of entries pulled but not written", async () => {
  const size = 64 * KiB;
  for (const workers of [0, 2]) {
    let pulled = 0;
    let written = 0;
    let most = 0;
    const entries = function* (): Generator<ZipEntry> {
      for (let i = 0; i < 400; i++) {
        most = Math.max(most, pulled - written);
        pulled += size + ENTRY_COST;
        yield { name: `${i}.log`, data: TEXT.slice(i * 997, i * 997 + size) };
      }
    };
    await bytesOf(zip(entries(), {
      workers,
      onEntry: () => written += size + ENTRY_COST,
    }));
    // The entry being written is counted as pulled and not written.
    assert.ok(
      most <= LOOK_AHEAD_BYTES + size + ENTRY_COST,
      `${workers} workers: ${most} bytes held`,
    );
    if (workers === 0) {
      assert.ok(most <= size + ENTRY_COST, `no look-ahead without workers`);
    } else assert.ok(most > 4 * MiB, `looked ahead only ${most} bytes`);
  }
});

Deno.test("zip() keeps the bytes of entries given whole in one buffer the caller refills, while looking ahead", async () => {
  const contents = Array.from(
    { length: 120 },
    (_, i) => TEXT.slice(i * 50_000, i * 50_000 + 20 * KiB + i * 311),
  );
  const buffer = new Uint8Array(Math.max(...contents.map((c) => c.length)));
  async function* entries(): AsyncGenerator<ZipEntry> {
    for (const [i, data] of contents.entries()) {
      buffer.set(data);
      yield {
        name: `refilled-${i}.log`,
        data: buffer.subarray(0, data.length),
      };
      buffer.fill(0xee);
    }
  }
  const archive = await bytesOf(zip(entries(), { workers: 2 }));
  await assertOpensEverywhere(
    archive,
    contents.map((data, i) => ({ name: `refilled-${i}.log`, data })),
  );
});

Deno.test("zip() fails naming an entry found invalid while looking ahead, after writing those before it", async () => {
  const written: string[] = [];
  async function* entries(): AsyncGenerator<ZipEntry> {
    for (let i = 0; i < 100; i++) {
      yield {
        name: `${i}.log`,
        data: TEXT.subarray(i * 40_000, (i + 1) * 40_000),
      };
    }
    yield { name: "bad.log", data: "x", level: 12 };
    yield { name: "never.log", data: "y" };
  }
  await assert.rejects(
    bytesOf(zip(entries(), {
      workers: 2,
      onEntry: (entry) => written.push(entry.name),
    })),
    new RangeError(
      'Cannot add "bad.log" to the archive: invalid level: expected an integer from 0 to 9 but received number 12',
    ),
  );
  assert.equal(written.length, 100);
  assert.equal(written.at(-1), "99.log");
});

Deno.test("zip() fails naming the entry whose declared CRC is wrong among entries deflated ahead", async () => {
  const entries: ZipEntry[] = Array.from({ length: 80 }, (_, i) => ({
    name: `${i}.log`,
    data: TEXT.subarray(i * 50_000, (i + 1) * 50_000),
    ...(i === 70 ? { crc32: 0x12345678 } : {}),
  }));
  await assert.rejects(
    bytesOf(zip(entries, { workers: 2 })),
    (error: Error) => {
      assert.match(
        error.message,
        /^Cannot add "70\.log" to the archive: declared crc32 0x12345678 but the data has 0x[0-9a-f]{8}$/,
      );
      return true;
    },
  );
});

Deno.test("zip() reports an entry source that fails while looking ahead after the entries before it", async () => {
  const written: string[] = [];
  async function* entries(): AsyncGenerator<ZipEntry> {
    for (let i = 0; i < 60; i++) {
      yield {
        name: `${i}.log`,
        data: TEXT.subarray(i * 60_000, (i + 1) * 60_000),
      };
    }
    throw new Error("listing gone");
  }
  await assert.rejects(
    bytesOf(zip(entries(), {
      workers: 2,
      onEntry: (entry) => written.push(entry.name),
    })),
    new Error(
      "Cannot read the next entry of the archive: the entry source failed: listing gone",
    ),
  );
  assert.equal(written.length, 60);
});

Deno.test("zip() terminates its workers when the output is cancelled while entries are deflated ahead", async () => {
  await withWorkers(async (log) => {
    let pulled = 0;
    let returned = false;
    async function* entries(): AsyncGenerator<ZipEntry> {
      try {
        for (let i = 0;; i++) {
          pulled++;
          if (i === 60) await log.firstReady;
          yield {
            name: `${i}.log`,
            data: TEXT.subarray(
              (i * 50_000) % (6 * MiB),
              (i * 50_000) % (6 * MiB) + 50_000,
            ),
          };
        }
      } finally {
        returned = true;
      }
    }
    const reader = zip(entries(), { workers: 2 }).getReader();
    while (log.batches < 2) await reader.read();
    await reader.cancel("enough");
    assert.equal(log.created, 2);
    assert.equal(log.terminated, 2);
    assert.ok(returned, "the entry iterator was closed");
    const after = pulled;
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(pulled, after, "nothing pulled after the cancel");
  });
});

Deno.test("zip() fails naming an entry when a deflate worker fails with a batch of entries in hand", async () => {
  const original = globalThis.Worker;
  const terminated = new Set<Worker>();
  let created = 0;
  let ready!: () => void;
  const firstReady = new Promise<void>((resolve) => ready = resolve);
  globalThis.Worker = class extends original {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      created++;
      this.addEventListener("message", (event: MessageEvent) => {
        if ((event.data as { kind?: string }).kind === "ready") ready();
      });
    }
    override postMessage(
      message: unknown,
      transfer?: Transferable[] | StructuredSerializeOptions,
    ): void {
      if (Array.isArray(transfer)) super.postMessage(message, transfer);
      else super.postMessage(message, transfer);
      if ((message as { kind?: string }).kind === "entries") {
        setTimeout(() =>
          this.dispatchEvent(
            new ErrorEvent("error", { message: "simulated crash" }),
          )
        );
      }
    }
    override terminate(): void {
      terminated.add(this);
      super.terminate();
    }
  };
  try {
    // Entries after the 100th wait for a worker, so that batches are sent.
    const entries = async function* (): AsyncGenerator<ZipEntry> {
      for (let i = 0; i < 200; i++) {
        if (i === 100) await firstReady;
        yield {
          name: `${i}.log`,
          data: TEXT.subarray(i * 30_000, (i + 1) * 30_000),
        };
      }
    };
    await assert.rejects(
      bytesOf(zip(entries(), { workers: 2 })),
      (error: Error) => {
        assert.match(
          error.message,
          /^Cannot add "\d+\.log" to the archive: a deflate worker failed: simulated crash$/,
        );
        return true;
      },
    );
    assert.equal(created, 2);
    assert.equal(terminated.size, 2);
  } finally {
    globalThis.Worker = original;
  }
});
