/**
 * A little-endian cursor over a fixed-size buffer, for writing records.
 *
 * @module
 */

const UINT32_RANGE = 2 ** 32;

/** Writes little-endian integers and byte strings at an advancing offset. */
export class ByteWriter {
  /** The record being written. */
  readonly bytes: Uint8Array;
  #view: DataView;
  #offset = 0;

  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.#view = new DataView(this.bytes.buffer);
  }

  /** Writes an unsigned 8-bit integer. */
  uint8(value: number): this {
    this.#view.setUint8(this.#offset, value);
    this.#offset += 1;
    return this;
  }

  /** Writes an unsigned 16-bit integer. */
  uint16(value: number): this {
    this.#view.setUint16(this.#offset, value, true);
    this.#offset += 2;
    return this;
  }

  /** Writes an unsigned 32-bit integer. */
  uint32(value: number): this {
    this.#view.setUint32(this.#offset, value, true);
    this.#offset += 4;
    return this;
  }

  /** Writes a signed 32-bit integer. */
  int32(value: number): this {
    this.#view.setInt32(this.#offset, value, true);
    this.#offset += 4;
    return this;
  }

  /** Writes an unsigned 64-bit integer given as a safe integer. */
  uint64(value: number): this {
    // Two halves instead of a BigInt: this runs for every ZIP64 record.
    this.#view.setUint32(this.#offset, value % UINT32_RANGE, true);
    this.#view.setUint32(
      this.#offset + 4,
      Math.floor(value / UINT32_RANGE),
      true,
    );
    this.#offset += 8;
    return this;
  }

  /** Copies bytes in. */
  raw(value: Uint8Array): this {
    this.bytes.set(value, this.#offset);
    this.#offset += value.length;
    return this;
  }

  /** Checks that the record was filled exactly, and returns it. */
  done(): Uint8Array {
    if (this.#offset !== this.bytes.length) {
      throw new RangeError(
        `Cannot finish a ZIP record: expected ${this.bytes.length} bytes but wrote ${this.#offset}`,
      );
    }
    return this.bytes;
  }
}
