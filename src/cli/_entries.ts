/**
 * Turns walked inputs into `ZipEntry` values whose bytes are read only when
 * the archive reaches them, reporting progress as they are read.
 *
 * @module
 */

import { predictLength } from "../zip/predict_length.ts";
import type { ZipEntry } from "../zip/zip_entry.ts";
import type { ZipOptions } from "../zip/zip_options.ts";
import { fileData, fileShape } from "./_file_source.ts";
import { objectSource, type S3ObjectItem } from "./_s3_source.ts";
import type { InputItem } from "./_walk.ts";
import { hasStoredSuffix } from "./_store_suffixes.ts";

const SYMLINK_TYPE = 0o120000;

/** One thing to archive: found on disk, standing for standard input, or an S3 object. */
export type ArchiveItem = InputItem | S3ObjectItem;

/**
 * What the entries report while the archive reads them. When an entry is
 * written is `zip()`'s `onEntry` to say: the archive reads ahead of the
 * entry it writes.
 */
export interface EntryObserver {
  /** The archive starts reading this item. */
  entryStarted(item: ArchiveItem): void;
  /** Bytes of input were read. */
  bytesRead(count: number): void;
}

/**
 * Yields one entry per item, in order. The generator is resumed only when the
 * archive asks for the next entry.
 */
export function toZipEntries(
  items: Iterable<ArchiveItem>,
  observer: EntryObserver,
  storeSuffixes: readonly string[] = [],
): Generator<ZipEntry, void, undefined> {
  return entries(items, observer, storeSuffixes, {
    file: (path, size) => fileData(path, size, observer),
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
  storeSuffixes: readonly string[] = [],
): Generator<ZipEntry, void, undefined> {
  const placeholder = new ReadableStream<Uint8Array>();
  return entries(items, SILENT, storeSuffixes, {
    file: (_path, size) => fileShape(size),
    stdin: () => placeholder,
    object: () => placeholder,
  });
}

const SILENT: EntryObserver = {
  entryStarted() {},
  bytesRead() {},
};

interface Sources {
  file(path: string, size: number): Uint8Array | ReadableStream<Uint8Array>;
  stdin(): ReadableStream<Uint8Array>;
  object(item: S3ObjectItem): ReadableStream<Uint8Array>;
}

function* entries(
  items: Iterable<ArchiveItem>,
  observer: EntryObserver,
  storeSuffixes: readonly string[],
  sources: Sources,
): Generator<ZipEntry, void, undefined> {
  for (const item of items) {
    observer.entryStarted(item);
    // -n: what is compressed already is stored, not deflated for nothing.
    const method: Pick<ZipEntry, "compression"> =
      hasStoredSuffix(item.name, storeSuffixes) ? { compression: "store" } : {};
    switch (item.kind) {
      case "file":
        yield {
          name: item.name,
          data: sources.file(item.path, item.size),
          size: item.size,
          ...method,
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
          ...method,
        };
        break;
      case "object":
        yield {
          ...item.entry,
          name: item.name,
          ...(item.entry.data === undefined
            ? {}
            : { data: sources.object(item), ...method }),
        };
        break;
    }
  }
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

/** The input bytes the items hold, as known before reading: files' and objects' sizes. */
export function inputBytes(items: readonly ArchiveItem[]): number {
  return items.reduce(
    (sum, item) =>
      sum + (item.kind === "file" || item.kind === "object" ? item.size : 0),
    0,
  );
}

/** The archive's length when `predictLength` can know it (stored entries of known size). */
export function exactLength(
  items: readonly ArchiveItem[],
  options: ZipOptions,
  storeSuffixes: readonly string[],
): number | undefined {
  if (
    options.compression !== "store" ||
    items.some((item) => item.kind === "stdin")
  ) return undefined;
  try {
    return predictLength(entryShapes(items, storeSuffixes), options);
  } catch {
    return undefined;
  }
}
