/**
 * Turns walked inputs into `ZipEntry` values whose bytes are read only when
 * the archive reaches them, reporting progress as they are read.
 *
 * @module
 */

import type { ZipEntry } from "../zip/zip_entry.ts";
import { CliError } from "./_cli_error.ts";
import { objectSource, type S3ObjectItem } from "./_s3_source.ts";
import type { InputItem } from "./_walk.ts";
import { reason } from "./_walk.ts";

const SYMLINK_TYPE = 0o120000;
// Large reads keep the per-chunk cost of the CRC and the stream machinery low.
const READ_CHUNK = 256 * 1024;
const END_PROBE = 4096;

/** One thing to archive: found on disk, standing for standard input, or an S3 object. */
export type ArchiveItem = InputItem | S3ObjectItem;

/** What the entries report while the archive reads them. */
export interface EntryObserver {
  /** The archive starts on this item. */
  entryStarted(item: ArchiveItem): void;
  /** Bytes of input were read. */
  bytesRead(count: number): void;
  /** The archive has finished with the item most recently started. */
  entryFinished(): void;
}

/**
 * Yields one entry per item, in order. The generator is resumed only when the
 * archive asks for the next entry, that is when it is done with the previous
 * one, which is when an entry counts as finished.
 */
export function toZipEntries(
  items: Iterable<ArchiveItem>,
  observer: EntryObserver,
): Generator<ZipEntry, void, undefined> {
  return entries(items, observer, {
    file: (path, size) => fileSource(path, size, observer),
    stdin: () => Deno.stdin.readable.pipeThrough(countBytes(observer)),
    object: (item) => objectSource(item, (count) => observer.bytesRead(count)),
  });
}

/**
 * The entries as {@linkcode toZipEntries} gives them, but with one unread
 * placeholder stream for all data read from files or standard input: the
 * same shapes, so `predictLength` computes the real archive's length, without
 * opening anything or making a stream per file.
 */
export function entryShapes(
  items: Iterable<ArchiveItem>,
): Generator<ZipEntry, void, undefined> {
  const placeholder = new ReadableStream<Uint8Array>();
  return entries(items, SILENT, {
    file: () => placeholder,
    stdin: () => placeholder,
    object: () => placeholder,
  });
}

const SILENT: EntryObserver = {
  entryStarted() {},
  bytesRead() {},
  entryFinished() {},
};

interface Sources {
  file(path: string, size: number): ReadableStream<Uint8Array>;
  stdin(): ReadableStream<Uint8Array>;
  object(item: S3ObjectItem): ReadableStream<Uint8Array>;
}

function* entries(
  items: Iterable<ArchiveItem>,
  observer: EntryObserver,
  sources: Sources,
): Generator<ZipEntry, void, undefined> {
  for (const item of items) {
    observer.entryStarted(item);
    switch (item.kind) {
      case "file":
        yield {
          name: item.name,
          data: sources.file(item.path, item.size),
          size: item.size,
          lastModified: item.mtime,
          mode: item.mode,
        };
        break;
      case "directory":
        yield { name: item.name, lastModified: item.mtime, mode: item.mode };
        break;
      case "symlink":
        yield {
          name: item.name,
          data: item.target,
          lastModified: item.mtime,
          mode: SYMLINK_TYPE | item.mode,
        };
        break;
      case "stdin":
        yield {
          name: item.name,
          data: sources.stdin(),
        };
        break;
      case "object":
        yield {
          ...item.entry,
          name: item.name,
          ...(item.entry.data === undefined
            ? {}
            : { data: sources.object(item) }),
        };
        break;
    }
    observer.entryFinished();
  }
}

/** A stream over a file that opens it on the first read and closes it at the end. */
function fileSource(
  path: string,
  size: number,
  observer: EntryObserver,
): ReadableStream<Uint8Array> {
  let file: Deno.FsFile | undefined;
  let read = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        file ??= await Deno.open(path, { read: true });
        // Buffers sized to what is left: a chunk keeps its whole buffer alive,
        // and 70,000 tiny files each holding 256 KiB would cost gigabytes
        // until collected. Past the expected end, a small read finds the end
        // (or the growth that the archive then reports as a size mismatch).
        const buffer = new Uint8Array(
          Math.max(0, Math.min(READ_CHUNK, size - read)) || END_PROBE,
        );
        const count = await file.read(buffer);
        if (count === null) {
          file.close();
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
    },
  }, { highWaterMark: 0 });
}

function countBytes(
  observer: EntryObserver,
): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream({
    transform(chunk, controller) {
      observer.bytesRead(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
}
