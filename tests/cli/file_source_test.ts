import assert from "node:assert/strict";
import {
  predictLength,
  type WorkerStatus,
  zip,
  type ZipEntry,
} from "../../mod.ts";
import {
  fileData,
  fileShape,
  WHOLE_FILE_LIMIT,
} from "../../src/cli/_file_source.ts";
import { CliError } from "../../src/cli/_cli_error.ts";
import { assertSameBytes, bytesOf, pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere, withTempDir } from "../_readers.ts";

function counter(): { read: number; bytesRead(count: number): void } {
  return {
    read: 0,
    bytesRead(count) {
      this.read += count;
    },
  };
}

Deno.test("fileData() reads files up to the limit whole and streams larger ones as a byte stream", async () => {
  await withTempDir(async (dir) => {
    const small = pseudoRandom(WHOLE_FILE_LIMIT, 1);
    const large = pseudoRandom(WHOLE_FILE_LIMIT + 1, 2);
    await Deno.writeFile(`${dir}/small`, small);
    await Deno.writeFile(`${dir}/large`, large);
    await Deno.writeFile(`${dir}/empty`, new Uint8Array(0));
    const observer = counter();
    const whole = fileData(`${dir}/small`, small.length, observer);
    assert.ok(whole instanceof Uint8Array);
    assert.deepEqual(whole, small);
    assert.equal(observer.read, small.length);
    assert.deepEqual(fileData(`${dir}/empty`, 0, observer), new Uint8Array(0));
    const streamed = fileData(`${dir}/large`, large.length, observer);
    assert.ok(streamed instanceof ReadableStream);
    // A byte stream: its chunks are its own, so stored data is not copied.
    streamed.getReader({ mode: "byob" }).releaseLock();
    assert.deepEqual(await bytesOf(streamed), large);
    assert.equal(observer.read, small.length + large.length);
  });
});

Deno.test("fileData() gives a small file that grew all it read, one byte past the walked size", async () => {
  await withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/grew.txt`, "twelve bytes");
    const data = fileData(`${dir}/grew.txt`, 5, counter());
    assert.deepEqual(data, new TextEncoder().encode("twelv" + "e"));
    const entry: ZipEntry = { name: "grew.txt", data, size: 5 };
    await assert.rejects(
      bytesOf(zip([entry])),
      new RangeError(
        'Cannot add "grew.txt" to the archive: declared size 5 but the data holds 6 bytes',
      ),
    );
  });
});

Deno.test("fileData() gives a small file it cannot read as a stream that fails naming the path", async () => {
  await withTempDir(async (dir) => {
    const data = fileData(`${dir}/gone.txt`, 10, counter());
    assert.ok(data instanceof ReadableStream);
    await assert.rejects(
      bytesOf(zip([{ name: "gone.txt", data, size: 10 }])),
      (error: Error) => {
        assert.match(
          error.message,
          /^Cannot add "gone\.txt" to the archive: its data source failed: Cannot read ".*gone\.txt": /,
        );
        assert.ok(error.cause instanceof CliError);
        return true;
      },
    );
  });
});

Deno.test("fileShape() lays files out as fileData() gives them, so predictLength() is exact", async () => {
  await withTempDir(async (dir) => {
    const sizes = [0, 1, 4096, WHOLE_FILE_LIMIT, WHOLE_FILE_LIMIT + 1];
    const contents = sizes.map((size, i) => pseudoRandom(size, 10 + i));
    for (const [i, data] of contents.entries()) {
      await Deno.writeFile(`${dir}/${i}`, data);
    }
    // A generator, as the command's: a file's bytes are read when asked for.
    const entries = function* (shape: boolean): Generator<ZipEntry> {
      for (const [i, data] of contents.entries()) {
        yield {
          name: `${i}.bin`,
          data: shape
            ? fileShape(data.length)
            : fileData(`${dir}/${i}`, data.length, counter()),
          size: data.length,
        };
      }
    };
    const options = { compression: "store" as const };
    const archive = await bytesOf(zip(entries(false), options));
    assert.equal(predictLength(entries(true), options), archive.length);
    await assertOpensEverywhere(
      archive,
      contents.map((data, i) => ({ name: `${i}.bin`, data })),
    );
  });
});

Deno.test("files read into one refilled buffer make the same archive with or without workers", async () => {
  await withTempDir(async (dir) => {
    const contents = Array.from({ length: 150 }, (_, i) => {
      const text = new TextEncoder().encode(`file ${i} `.repeat(2000 + i * 97));
      return i % 10 === 3 ? pseudoRandom(20_000 + i, i) : text;
    });
    // A file streamed past its second block starts the workers for certain;
    // small files given whole start them only if enough of them wait, which
    // depends on timing.
    contents.push(
      new TextEncoder().encode("a larger file ".repeat(230_000)),
    );
    for (const [i, data] of contents.entries()) {
      await Deno.writeFile(`${dir}/${i}`, data);
    }
    const entries = function* (): Generator<ZipEntry> {
      for (const [i, data] of contents.entries()) {
        yield {
          name: `${i}.txt`,
          data: fileData(`${dir}/${i}`, data.length, counter()),
          size: data.length,
          ...(i % 7 === 5 ? { compression: "store" as const } : {}),
        };
      }
    };
    const options = { lastModified: Date.UTC(2026, 0, 1) };
    const inThread = await bytesOf(zip(entries(), { ...options, workers: 0 }));
    const statuses: WorkerStatus[] = [];
    const withWorkers = await bytesOf(
      zip(entries(), {
        ...options,
        workers: 2,
        onWorkers: (status) => statuses.push(status),
      }),
    );
    assert.deepEqual(statuses, [{ state: "running", workers: 2 }]);
    assertSameBytes(withWorkers, inThread, "with 2 workers");
    await assertOpensEverywhere(
      inThread,
      contents.map((data, i) => ({ name: `${i}.txt`, data })),
    );
  });
});
