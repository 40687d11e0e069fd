/**
 * The entry half of the archive writer: writes one entry at a time, its
 * local header, data and data descriptor into the output and its header into
 * the central directory, and tells the caller what was written.
 *
 * @module
 */

import type { CentralDirectory } from "./_central_directory.ts";
import { METHOD_DEFLATE, METHOD_STORE } from "./_constants.ts";
import { writeDataDescriptor } from "./_data_descriptor.ts";
import type { DeflatePool } from "./_deflate_pool.ts";
import { createDeflater } from "./_deflater.ts";
import {
  dataDescriptorLength,
  descriptorIsZip64,
  type EntryLayout,
  type EntrySizes,
  inMemoryEntryLayout,
  streamedEntryLayout,
} from "./_entry_layout.ts";
import type { EntryFields, Method } from "./_entry_fields.ts";
import {
  type BytesBody,
  checkChunk,
  type StreamedBody,
} from "./_entry_source.ts";
import { type OutputQueue, SLAB_SIZE } from "./_output_queue.ts";
import {
  localFileHeaderLength,
  writeLocalFileHeader,
} from "./_local_file_header.ts";
import { messageOf } from "../_errors.ts";
import type { AheadEntry } from "./_look_ahead.ts";
import {
  IteratorProtocolError,
  type Pulled,
  type PullSource,
} from "./_pull_source.ts";
import { cannotAdd, crcMismatch } from "./_describe.ts";
import { entryFields, type ResolvedEntry } from "./_resolved_entry.ts";
import type { ResolvedOptions } from "./_resolved_options.ts";
import { crc32 } from "./crc32.ts";
import { encryptionOverhead, headerCrc } from "./_entry_encryption.ts";
import type { EntrySealer } from "./_entry_sealer.ts";

/**
 * Writes entries into an archive's output and central directory. The archive
 * writer decides which entries to write and in what order; this writes them.
 */
export class EntryWriter {
  #out: OutputQueue;
  #central: CentralDirectory;
  #deflatePool: DeflatePool;
  #options: ResolvedOptions;
  #throwIfCancelled: () => void;
  // The source of the entry being read: cancelling the archive cancels it.
  #source: PullSource<unknown> | undefined;

  /**
   * `throwIfCancelled` is the archive's: it throws once the output has been
   * cancelled, so a cancelled archive stops between reads of an entry.
   */
  constructor(
    out: OutputQueue,
    central: CentralDirectory,
    deflatePool: DeflatePool,
    options: ResolvedOptions,
    throwIfCancelled: () => void,
  ) {
    this.#out = out;
    this.#central = central;
    this.#deflatePool = deflatePool;
    this.#options = options;
    this.#throwIfCancelled = throwIfCancelled;
  }

  /**
   * Lets go of the source of the entry being read, if any: cancels it and
   * forgets it, so it is cancelled once however often the archive stops.
   */
  cancelSource(reason: unknown): Promise<void> | undefined {
    const source = this.#source;
    this.#source = undefined;
    return source?.cancel(reason);
  }

  /**
   * Writes an entry whose data was given whole. Stored data that is the
   * caller's is copied out a slab at a time, handed on between slabs, so a
   * large array is never held twice. `deflated` is its data deflated whole,
   * by the look-ahead, when it is to be deflated. `sealer` encrypts it.
   */
  *writeInMemory(
    { entry, deflated }: AheadEntry,
    { bytes, fresh }: BytesBody,
    sealer: EntrySealer | undefined,
  ): Generator<Uint8Array[], void, undefined> {
    const crc = crc32(bytes);
    if (entry.crc32 !== undefined && entry.crc32 !== crc) {
      throw crcMismatch(entry.name, entry.crc32!, crc);
    }
    let method: Method = METHOD_STORE;
    let payload = bytes;
    // Data that deflate cannot shrink is stored, as Info-ZIP does.
    if (deflated !== undefined && deflated.length < bytes.length) {
      method = METHOD_DEFLATE;
      payload = deflated;
    }
    const compressedSize = payload.length +
      encryptionOverhead(entry.encryption);
    const sizes = { size: bytes.length, compressedSize };
    const layout = inMemoryEntryLayout(method, sizes, entry.zip64);
    const fields = entryFields(entry, method, false);
    const offset = this.#out.offset;
    const writtenCrc = headerCrc(entry.encryption, crc);
    this.#emitLocalHeader(
      fields,
      writtenCrc,
      compressedSize,
      bytes.length,
      layout.zip64,
    );
    if (sealer !== undefined) {
      yield* sealer.sealWhole(payload, this.#out);
    } else if (payload !== bytes || fresh || !this.#options.copyChunks) {
      this.#out.emit(payload);
    } else {
      for (let at = 0; at < bytes.length; at += SLAB_SIZE) {
        this.#out.copy(bytes.subarray(at, at + SLAB_SIZE));
        if (this.#out.full) yield this.#out.take();
      }
    }
    this.#central.add(
      fields,
      writtenCrc,
      compressedSize,
      bytes.length,
      offset,
      layout.zip64,
    );
    this.#written(entry, offset, writtenCrc, bytes.length, compressedSize);
  }

  #written(
    entry: ResolvedEntry,
    offset: number,
    crc: number,
    size: number,
    compressedSize: number,
  ): void {
    this.#options.onEntry?.({
      name: entry.name,
      offset,
      end: this.#out.offset,
      crc32: crc,
      size,
      compressedSize,
    });
  }

  /**
   * Writes an entry whose data comes from a source, read a chunk at a time
   * and checked against the size and CRC-32 it was declared with.
   */
  async *writeStreamed(
    entry: ResolvedEntry,
    body: StreamedBody,
    sealer: EntrySealer | undefined,
  ): AsyncGenerator<Uint8Array[], void, undefined> {
    const layout = streamedEntryLayout(entry);
    const fields = entryFields(entry, layout.method, layout.usesDataDescriptor);
    const offset = this.#out.offset;
    const overhead = encryptionOverhead(entry.encryption);
    if (layout.usesDataDescriptor) {
      this.#emitLocalHeader(fields, 0, 0, 0, layout.zip64);
    } else {
      this.#emitLocalHeader(
        fields,
        headerCrc(entry.encryption, entry.crc32 ?? 0),
        entry.size! + overhead,
        entry.size!,
        layout.zip64,
      );
    }
    if (sealer !== undefined) this.#out.emit(sealer.header);
    const deflater = layout.method === METHOD_DEFLATE
      ? createDeflater(entry.level, {
        pool: this.#deflatePool,
        entryName: entry.name,
      })
      : undefined;
    const source = body.open();
    this.#source = source;
    let size = 0;
    let compressedSize = 0;
    let crc = 0;
    for (;;) {
      let pulled: Pulled<unknown>;
      try {
        pulled = await source.read();
      } catch (cause) {
        this.#throwIfCancelled();
        if (cause instanceof IteratorProtocolError) {
          throw new TypeError(`${cannotAdd(entry.name)}: ${cause.message}`);
        }
        throw new Error(
          `${cannotAdd(entry.name)}: its data source failed: ${
            messageOf(cause)
          }`,
          { cause },
        );
      }
      this.#throwIfCancelled();
      if (pulled.done) break;
      const chunk = checkChunk(entry.name, pulled.value);
      size += chunk.length;
      if (entry.size !== undefined && size > entry.size) {
        throw new RangeError(
          `${
            cannotAdd(entry.name)
          }: declared size ${entry.size} but the source gave at least ${size} bytes`,
        );
      }
      crc = crc32(chunk, crc);
      if (deflater === undefined) {
        compressedSize += chunk.length;
        if (sealer !== undefined) {
          this.#out.emit(sealer.seal(chunk));
        } else if (body.freshChunks || !this.#options.copyChunks) {
          this.#out.emit(chunk);
        } else {
          this.#out.copy(chunk);
        }
      } else {
        for (const output of await deflater.push(chunk)) {
          compressedSize += output.length;
          this.#out.emit(sealer?.seal(output) ?? output);
        }
      }
      if (this.#out.full) yield this.#out.take();
    }
    this.#source = undefined;
    if (entry.size !== undefined && size !== entry.size) {
      throw new RangeError(
        `${
          cannotAdd(entry.name)
        }: declared size ${entry.size} but the source gave ${size} bytes`,
      );
    }
    if (entry.crc32 !== undefined && entry.crc32 !== crc) {
      throw crcMismatch(entry.name, entry.crc32!, crc);
    }
    if (deflater !== undefined) {
      for (const output of await deflater.finish()) {
        compressedSize += output.length;
        this.#out.emit(sealer?.seal(output) ?? output);
      }
    }
    if (sealer !== undefined) this.#out.emit(sealer.finish());
    compressedSize += overhead;
    const writtenCrc = headerCrc(entry.encryption, crc);
    if (layout.usesDataDescriptor) {
      this.#emitDataDescriptor(layout, writtenCrc, { size, compressedSize });
    }
    this.#central.add(
      fields,
      writtenCrc,
      compressedSize,
      size,
      offset,
      layout.zip64,
    );
    this.#written(entry, offset, writtenCrc, size, compressedSize);
  }

  #emitLocalHeader(
    fields: EntryFields,
    crc: number,
    compressedSize: number,
    size: number,
    zip64: boolean,
  ): void {
    const writer = this.#out.beginRecord(localFileHeaderLength(fields, zip64));
    writeLocalFileHeader(writer, fields, crc, compressedSize, size, zip64);
    this.#out.endRecord();
  }

  #emitDataDescriptor(
    layout: EntryLayout,
    crc: number,
    sizes: EntrySizes,
  ): void {
    const writer = this.#out.beginRecord(dataDescriptorLength(layout, sizes));
    writeDataDescriptor(
      writer,
      crc,
      sizes.compressedSize,
      sizes.size,
      descriptorIsZip64(layout, sizes),
    );
    this.#out.endRecord();
  }
}
