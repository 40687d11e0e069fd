/**
 * The data of a regular file for its entry. Small files are read whole, as
 * bytes: the archive's look-ahead then deflates many of them at once in its
 * workers, and their local headers carry their sizes and CRC (no data
 * descriptor). Larger files are streamed, a chunk at a time, so memory does
 * not grow with them.
 *
 * @module
 */

import { CliError } from "./_cli_error.ts";
import { reason } from "./_walk.ts";

/**
 * Files up to this size are read whole. The archive's layout depends on it
 * (bytes get no data descriptor), so it depends on nothing else: not on the
 * workers, not on the machine. 1 MiB is the block size in which streamed
 * entries are deflated, so a file read whole is never more than one block
 * of memory, and in a source tree nearly every file is below it.
 */
export const WHOLE_FILE_LIMIT = 1024 * 1024;
// Large reads keep the per-chunk cost of the CRC and the stream machinery low.
const READ_CHUNK = 256 * 1024;
const END_PROBE = 4096;

/** What a file's reading reports. */
export interface ReadObserver {
  /** Bytes of input were read. */
  bytesRead(count: number): void;
}

/**
 * The data of the file at `path`, of `size` bytes when it was walked: its
 * bytes, read now, when `size` is at most {@linkcode WHOLE_FILE_LIMIT}, else
 * a stream that opens it on the first read. A small file that cannot be read
 * is given as that stream too, which then fails as a large file's does,
 * naming the entry.
 *
 * The bytes are a view into one buffer that the next small file's read
 * refills. The archive is told nothing special (its default `copyChunks`):
 * it copies data given whole that it still holds when it asks for the next
 * entry, and stored data it hands on, so a refilled buffer is safe, and the
 * copies it makes anyway replace an allocation per file (less CPU, and
 * less garbage between collections: bench/README.md, "A tree against
 * zip").
 */
export function fileData(
  path: string,
  size: number,
  observer: ReadObserver,
): Uint8Array | ReadableStream<Uint8Array> {
  if (size <= WHOLE_FILE_LIMIT) {
    const bytes = readWhole(path, size);
    if (bytes !== undefined) {
      observer.bytesRead(bytes.length);
      return bytes;
    }
  }
  return fileStream(path, size, observer);
}

const ZEROS = new Uint8Array(WHOLE_FILE_LIMIT);
/** Small files are read into this, one at a time; one byte more shows growth. */
const READ_BUFFER = new Uint8Array(WHOLE_FILE_LIMIT + 1);
const PLACEHOLDER = new ReadableStream<Uint8Array>();

/**
 * What {@linkcode fileData} gives for a file of `size` bytes, without
 * reading it: bytes of that length or a stream, so that `predictLength`
 * lays the entry out as the archive will.
 */
export function fileShape(
  size: number,
): Uint8Array | ReadableStream<Uint8Array> {
  return size <= WHOLE_FILE_LIMIT ? ZEROS.subarray(0, size) : PLACEHOLDER;
}

/**
 * The file's bytes, or `undefined` when it cannot be read. Read without
 * waiting: a small file in the page cache reads in microseconds, less than
 * the round trips of an asynchronous open, read and close. One byte more
 * than expected is asked for, so a file that grew since it was walked shows
 * it, and the archive reports the size that changed.
 */
function readWhole(path: string, size: number): Uint8Array | undefined {
  let file: Deno.FsFile | undefined;
  try {
    file = Deno.openSync(path, { read: true });
    const buffer = READ_BUFFER.subarray(0, size + 1);
    let read = 0;
    while (read < buffer.length) {
      const count = file.readSync(buffer.subarray(read));
      if (count === null) break;
      read += count;
    }
    return buffer.subarray(0, read);
  } catch {
    return undefined;
  } finally {
    file?.close();
  }
}

/**
 * A byte stream over a file that opens it on the first read and closes it
 * at the end. A byte stream's chunks are its own (enqueueing transfers
 * them), so the archive stores them without copying.
 */
function fileStream(
  path: string,
  size: number,
  observer: ReadObserver,
): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | undefined;
  let read = 0;
  return new ReadableStream({
    type: "bytes",
    async pull(controller) {
      try {
        file ??= await Deno.open(path, { read: true });
        // Buffers sized to what is left: a chunk keeps its whole buffer alive.
        // Past the expected end, a small read finds the end (or the growth
        // that the archive then reports as a size mismatch).
        const buffer = new Uint8Array(
          Math.max(0, Math.min(READ_CHUNK, size - read)) || END_PROBE,
        );
        const count = await file.read(buffer);
        if (count === null) {
          file.close();
          file = undefined;
          controller.close();
          return;
        }
        read += count;
        observer.bytesRead(count);
        controller.enqueue(buffer.subarray(0, count));
      } catch (error) {
        file?.close();
        file = undefined;
        throw new CliError(`Cannot read "${path}": ${reason(error)}`, {
          cause: error,
        });
      }
    },
    cancel() {
      file?.close();
      file = undefined;
    },
  });
}
