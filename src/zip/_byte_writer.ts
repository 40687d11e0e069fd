/**
 * A little-endian cursor for writing records straight into the array they
 * end up in, and the helper that gives one record an array of its own.
 *
 * @module
 */

const UINT32_RANGE = 2 ** 32;
const NO_BYTES = new Uint8Array(0);

/**
 * Writes little-endian integers and byte strings at an advancing position.
 * One writer is pointed at block after block, so a record costs no
 * allocation: the `DataView` is rebuilt only when the array changes.
 */
export class ByteWriter {
  #bytes: Uint8Array = NO_BYTES;
  #view: DataView = new DataView(NO_BYTES.buffer);
  #position = 0;

  /** The array being written. */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Where the next value goes in `bytes`. */
  get position(): number {
    return this.#position;
  }

  /** Points the writer at `bytes`, writing from `position`. */
  moveTo(bytes: Uint8Array, position: number): this {
    if (bytes !== this.#bytes) {
      this.#bytes = bytes;
      this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    }
    this.#position = position;
    return this;
  }

  /** Writes an unsigned 8-bit integer. */
  uint8(value: number): this {
    this.#view.setUint8(this.#position, value);
    this.#position += 1;
    return this;
  }

  /** Writes an unsigned 16-bit integer. */
  uint16(value: number): this {
    this.#view.setUint16(this.#position, value, true);
    this.#position += 2;
    return this;
  }

  /** Writes an unsigned 32-bit integer. */
  uint32(value: number): this {
    this.#view.setUint32(this.#position, value, true);
    this.#position += 4;
    return this;
  }

  /** Writes a signed 32-bit integer. */
  int32(value: number): this {
    this.#view.setInt32(this.#position, value, true);
    this.#position += 4;
    return this;
  }

  /** Writes an unsigned 64-bit integer given as a safe integer. */
  uint64(value: number): this {
    // Two halves instead of a BigInt: this runs for every ZIP64 record.
    this.#view.setUint32(this.#position, value % UINT32_RANGE, true);
    this.#view.setUint32(
      this.#position + 4,
      Math.floor(value / UINT32_RANGE),
      true,
    );
    this.#position += 8;
    return this;
  }

  /** Copies bytes in. */
  raw(value: Uint8Array): this {
    this.#bytes.set(value, this.#position);
    this.#position += value.length;
    return this;
  }

  /**
   * Checks that the record begun at `start` filled exactly `length` bytes: a
   * record whose length function and writer disagree would shift every byte
   * after it.
   *
   * @throws {RangeError} when it did not.
   */
  checkRecord(start: number, length: number): void {
    const written = this.#position - start;
    if (written !== length) {
      throw new RangeError(
        `Cannot finish a ZIP record: expected ${length} bytes but wrote ${written}`,
      );
    }
  }
}

/**
 * One record as an array of its own: `write` fills a fresh array of
 * `length` bytes, which must come out exactly full.
 *
 * @throws {RangeError} when `write` wrote another number of bytes.
 */
export function recordBytes(
  length: number,
  write: (writer: ByteWriter) => void,
): Uint8Array {
  const writer = new ByteWriter().moveTo(new Uint8Array(length), 0);
  write(writer);
  writer.checkRecord(0, length);
  return writer.bytes;
}
