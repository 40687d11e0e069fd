import assert from "node:assert/strict";
import { runFixture } from "./_fixture.ts";
import { inflateRawSync } from "node:zlib";
import {
  type WorkerStatus,
  zip,
  type ZipEntry,
  type ZipOptions,
} from "../../mod.ts";
import { pakoEngine } from "../../src/zip/_deflate_engine.ts";
import { createDeflater, INPUT_BLOCK_SIZE } from "../../src/zip/_deflater.ts";
import { BLOCKS_PER_WORKER, DeflatePool } from "../../src/zip/_deflate_pool.ts";
import { assertSameBytes, bytesOf, chunked } from "../_data.ts";
import { assertOpensEverywhere } from "../_readers.ts";
import { logText } from "./_log_text.ts";
import { withWorkers } from "./_logged_workers.ts";

const MiB = INPUT_BLOCK_SIZE;
const LAST_MODIFIED = Date.UTC(2026, 0, 1);

const TEXT = logText(12 * MiB + 12345);

/**
 * The chunks of `data`; after the chunk that ends the second block (when
 * workers start) it waits until `ready` resolves, so that the blocks after it
 * go to workers whatever the speed of the machine.
 */
async function* chunksAfter(
  chunks: readonly Uint8Array[],
  ready: Promise<void>,
): AsyncGenerator<Uint8Array> {
  let read = 0;
  for (const chunk of chunks) {
    yield chunk;
    const before = read;
    read += chunk.length;
    if (before < 2 * MiB && read >= 2 * MiB) await ready;
  }
}

function zipText(
  length: number,
  chunkSizes: number | readonly number[],
  options: ZipOptions,
  ready: Promise<void> = Promise.resolve(),
): Promise<Uint8Array> {
  const data = TEXT.subarray(0, length);
  return bytesOf(zip([{
    name: "big.log",
    data: chunksAfter(chunked(data, chunkSizes), ready),
  }], { lastModified: LAST_MODIFIED, ...options }));
}

const SIZES = [
  0,
  1,
  MiB - 1,
  MiB,
  MiB + 1,
  2 * MiB - 1,
  2 * MiB,
  2 * MiB + 1,
  3 * MiB,
  7 * MiB + 3,
  12 * MiB + 12345,
];
const CHUNKINGS: (number | number[])[] = [65536, [4093, 1 << 17, 7], MiB + 3];

Deno.test("zip() writes the same bytes with 0, 1 or 2 deflate workers, for sizes around the block boundaries and any chunking", async () => {
  for (const size of SIZES) {
    const inThread = await zipText(size, 65536, { workers: 0 });
    for (const chunking of CHUNKINGS) {
      for (const workers of [1, 2]) {
        await withWorkers(async (log) => {
          const pooled = await zipText(
            size,
            chunking,
            { workers },
            log.firstReady,
          );
          assertSameBytes(
            pooled,
            inThread,
            `${size} bytes in chunks of ${chunking}, ${workers} workers`,
          );
          const expected = size >= 2 * MiB ? workers : 0;
          assert.equal(log.created, expected, `${size} bytes: workers made`);
          assert.equal(log.terminated, expected, `${size} bytes: terminated`);
          if (size >= 3 * MiB) {
            assert.ok(log.blocksSent > 0, `${size} bytes: no block was sent`);
          }
        });
      }
    }
  }
});

Deno.test("the pako engine (as in browsers) writes the same bytes in workers as in this thread", async () => {
  const data = TEXT.subarray(0, 5 * MiB + 99);
  async function compress(pool?: DeflatePool, ready?: Promise<void>) {
    const deflater = pool === undefined
      ? createDeflater(6, { engine: pakoEngine })
      : createDeflater(6, { pool });
    const output: Uint8Array[] = [];
    for await (const chunk of chunksAfter(chunked(data, 65536), ready!)) {
      output.push(...await deflater.push(chunk));
    }
    output.push(...await deflater.finish());
    return new Uint8Array(Buffer.concat(output));
  }
  const inThread = await compress(undefined, Promise.resolve());
  assertSameBytes(new Uint8Array(inflateRawSync(inThread)), data);
  await withWorkers(async (log) => {
    const pool = new DeflatePool(2, { engine: pakoEngine });
    try {
      assertSameBytes(await compress(pool, log.firstReady), inThread);
    } finally {
      pool.close();
    }
    assert.ok(log.blocksSent > 0, "no block was sent to a worker");
    assert.equal(log.terminated, 2);
  });
});

Deno.test("zip() with deflate workers writes an archive every reader opens", async () => {
  const sizes = [12 * MiB + 12345, 3 * MiB, 100, 2 * MiB + 1];
  const archive = await withWorkers(async (log) => {
    const entries: ZipEntry[] = sizes.map((size, i) => ({
      name: `logs/${i}.log`,
      data: chunksAfter(chunked(TEXT.subarray(0, size), 65536), log.firstReady),
    }));
    const statuses: WorkerStatus[] = [];
    const bytes = await bytesOf(
      zip(entries, {
        lastModified: LAST_MODIFIED,
        workers: 2,
        onWorkers: (status) => statuses.push(status),
      }),
    );
    assert.deepEqual(statuses, [{ state: "running", workers: 2 }]);
    assert.ok(log.blocksSent > 0, "no block was sent to a worker");
    assert.equal(log.terminated, log.created);
    return bytes;
  });
  await assertOpensEverywhere(
    archive,
    sizes.map((size, i) => ({
      name: `logs/${i}.log`,
      data: TEXT.subarray(0, size),
    })),
  );
});

Deno.test("zip() starts no worker for small archives, small entries or entries given whole", async () => {
  await withWorkers(async (log) => {
    const entries: ZipEntry[] = [
      { name: "small.txt", data: "small" },
      { name: "one-block.log", data: chunked(TEXT.subarray(0, MiB), 4096) },
      {
        name: "almost-two.log",
        data: chunked(TEXT.subarray(0, 2 * MiB - 1), 65536),
      },
      { name: "whole.log", data: TEXT.subarray(0, 5 * MiB) },
      {
        name: "stored.log",
        data: chunked(TEXT.subarray(0, 5 * MiB), 65536),
        compression: "store",
      },
    ];
    const statuses: WorkerStatus[] = [];
    await bytesOf(
      zip(entries, {
        workers: 2,
        onWorkers: (status) => statuses.push(status),
      }),
    );
    assert.equal(log.created, 0);
    assert.deepEqual(statuses, [], "no status without a pool to start");
  });
});

Deno.test("zip() starts one pool for the whole archive and terminates it at the end", async () => {
  await withWorkers(async (log) => {
    const entries = [1, 2, 3].map((i) => ({
      name: `${i}.log`,
      data: chunked(TEXT.subarray(0, 3 * MiB), 65536),
    }));
    await bytesOf(zip(entries, { workers: 2 }));
    assert.equal(log.created, 2);
    assert.equal(log.terminated, 2);
  });
});

Deno.test("zip() terminates its deflate workers when the output is cancelled", async () => {
  await withWorkers(async (log) => {
    const reader = zip([{
      name: "big.log",
      data: chunksAfter(chunked(TEXT, 65536), log.firstReady),
    }], { workers: 2 }).getReader();
    let read = 0;
    while (log.blocksSent < BLOCKS_PER_WORKER) {
      const { value } = await reader.read();
      read += value!.length;
    }
    await reader.cancel("enough");
    assert.equal(log.created, 2);
    assert.equal(log.terminated, 2);
    assert.ok(read > 0);
  });
});

Deno.test("zip() terminates its deflate workers when an entry's source fails", async () => {
  await withWorkers(async (log) => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield* chunksAfter(
        chunked(TEXT.subarray(0, 4 * MiB), 65536),
        log.firstReady,
      );
      throw new Error("disk gone");
    }
    await assert.rejects(
      bytesOf(zip([{ name: "big.log", data: failing() }], { workers: 2 })),
      new Error(
        'Cannot add "big.log" to the archive: its data source failed: disk gone',
      ),
    );
    assert.equal(log.created, 2);
    assert.equal(log.terminated, 2);
  });
});

Deno.test("zip() compresses in this thread, with the same bytes, where there is no Worker", async () => {
  const inThread = await zipText(5 * MiB, 65536, { workers: 0 });
  const original = globalThis.Worker;
  // As in Node, which has no web Worker.
  delete (globalThis as { Worker?: typeof Worker }).Worker;
  try {
    const statuses: WorkerStatus[] = [];
    assertSameBytes(
      await zipText(5 * MiB, 65536, {
        workers: 2,
        onWorkers: (status) => statuses.push(status),
      }),
      inThread,
    );
    assert.deepEqual(statuses, [{
      state: "unavailable",
      reason: new Error("this runtime has no Worker"),
    }]);
  } finally {
    globalThis.Worker = original;
  }
});

Deno.test("zip() compresses in this thread, with the same bytes, when workers fail to start", async () => {
  const inThread = await zipText(5 * MiB, 65536, { workers: 0 });
  // A worker that never says it is ready, and the plain `error` event (no
  // message) a browser fires at a worker whose script cannot load, as under
  // a Content-Security-Policy that refuses blob: workers.
  const silent = URL.createObjectURL(
    new Blob([""], { type: "text/javascript" }),
  );
  try {
    await withWorkers(
      async (log) => {
        const statuses: WorkerStatus[] = [];
        assertSameBytes(
          await zipText(5 * MiB, 65536, {
            workers: 2,
            onWorkers: (status) => statuses.push(status),
          }),
          inThread,
        );
        assert.equal(statuses.length, 1);
        assert.equal(statuses[0]?.state, "unavailable");
        assert.equal(
          (statuses[0] as { reason: Error }).reason.message,
          "no deflate worker started: the worker's script could not be loaded",
        );
        assert.equal(log.created, 2);
        assert.equal(log.blocksSent, 0);
        assert.equal(log.terminated, 2);
      },
      (Base) =>
        class extends Base {
          constructor(_url: string | URL, options?: WorkerOptions) {
            super(silent, options);
            setTimeout(() => this.dispatchEvent(new Event("error")));
          }
        },
    );
  } finally {
    URL.revokeObjectURL(silent);
  }
});

Deno.test("zip() fails naming the entry when a deflate worker fails with blocks in hand", async () => {
  await withWorkers(
    async (log) => {
      await assert.rejects(
        zipText(6 * MiB, 65536, { workers: 2 }, log.firstReady),
        new Error(
          'Cannot add "big.log" to the archive: a deflate worker failed: simulated crash',
        ),
      );
      assert.ok(log.blocksSent > 0);
      assert.equal(log.terminated, 2);
    },
    (Base) =>
      class extends Base {
        override postMessage(
          message: unknown,
          transfer?: Transferable[] | StructuredSerializeOptions,
        ) {
          if (Array.isArray(transfer)) super.postMessage(message, transfer);
          else super.postMessage(message, transfer);
          setTimeout(() =>
            this.dispatchEvent(
              new ErrorEvent("error", { message: "simulated crash" }),
            )
          );
        }
      },
  );
});

Deno.test("zip() rejects a workers option that is not an integer from 0 to 64", () => {
  assert.throws(
    () => zip([], { workers: -1 }),
    new RangeError(
      "Cannot create the archive: invalid option workers: expected an integer from 0 to 64 but received number -1",
    ),
  );
  assert.throws(
    () => zip([], { workers: 1.5 }),
    new RangeError(
      "Cannot create the archive: invalid option workers: expected an integer from 0 to 64 but received number 1.5",
    ),
  );
  assert.throws(
    () => zip([], { workers: 65 }),
    new RangeError(
      "Cannot create the archive: invalid option workers: expected an integer from 0 to 64 but received number 65",
    ),
  );
  assert.throws(
    () => zip([], { workers: "2" as unknown as number }),
    new TypeError(
      'Cannot create the archive: invalid option workers: expected a number but received the string "2"',
    ),
  );
});

Deno.test("zip() run with no permissions zips a 5 MiB deflate stream and exits on its own", async () => {
  const { archive, stderr } = await runFixture("./_no_permission_archive.ts");
  assert.equal(stderr, "");
  await assertOpensEverywhere(archive, [
    { name: "stream.log", data: TEXT.subarray(0, 5 * MiB) },
  ]);
});

Deno.test("the generated worker module is what the worker's sources and pako give", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/build_worker_source.ts", "--check"],
    cwd: new URL("../../", import.meta.url),
    stderr: "piped",
  }).output();
  assert.equal(
    output.code,
    0,
    `run \`deno task build:worker\`: ${
      new TextDecoder().decode(output.stderr)
    }`,
  );
});

Deno.test("zip() fails with what onWorkers threw, though it is called from a worker's message, and ends its workers", async () => {
  await withWorkers(async (log) => {
    const boom = new Error("boom");
    const archive = zip([{
      name: "big.log",
      data: chunksAfter(
        chunked(TEXT.subarray(0, 6 * MiB), 65536),
        log.firstReady,
      ),
    }], {
      workers: 2,
      onWorkers: () => {
        throw boom;
      },
    });
    const error = await bytesOf(archive).then(
      () => assert.fail("expected the archive to fail"),
      (error: unknown) => error as Error,
    );
    assert.equal(error.message, "The onWorkers callback threw: boom");
    assert.equal(error.cause, boom);
    assert.equal(log.terminated, log.created);
  });
});

Deno.test("an empty streamed entry compressed while workers run leaves the next archives' deflate intact", async () => {
  let ready: () => void = () => {};
  const running = new Promise<void>((resolve) => ready = resolve);
  // The empty entry ends only once a worker is ready, so that its final
  // (empty) block goes to the worker, which takes its buffer.
  const empty = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await running;
      controller.close();
    },
  });
  const first = await bytesOf(
    zip([
      { name: "big.log", data: chunked(logText(4 * INPUT_BLOCK_SIZE), 65536) },
      { name: "empty.log", data: empty },
    ], {
      lastModified: 0,
      workers: 1,
      onWorkers: (status) => {
        if (status.state === "running") ready();
      },
    }),
  );
  assert.ok(first.length > 0);
  for (const workers of [0, 1]) {
    const data = logText(5000);
    const archive = await bytesOf(
      zip([{ name: "next.log", data: chunked(data, 1000) }], {
        lastModified: 0,
        workers,
      }),
    );
    await assertOpensEverywhere(archive, [{ name: "next.log", data }]);
  }
});
