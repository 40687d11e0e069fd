/**
 * The central directory as it grows: records packed back to back into large
 * blocks, so an entry costs the bytes of its record and nothing more.
 *
 * @module
 */

const BLOCK_SIZE = 64 * 1024;
const NO_BLOCK = new Uint8Array(0);

/** Collects central directory headers until the archive ends. */
export class CentralDirectory {
  #blocks: Uint8Array[] = [];
  // Allocated when the first header arrives: small archives stay cheap.
  #current = NO_BLOCK;
  #used = 0;
  #size = 0;
  #entryCount = 0;

  /** Number of headers added. */
  get entryCount(): number {
    return this.#entryCount;
  }

  /** Total size of the headers added, in bytes. */
  get size(): number {
    return this.#size;
  }

  /** Appends one central directory header. */
  add(header: Uint8Array): void {
    this.#entryCount++;
    this.#size += header.length;
    let copied = 0;
    while (copied < header.length) {
      if (this.#used === this.#current.length) {
        if (this.#used > 0) this.#blocks.push(this.#current);
        this.#current = new Uint8Array(BLOCK_SIZE);
        this.#used = 0;
      }
      const count = Math.min(
        header.length - copied,
        this.#current.length - this.#used,
      );
      this.#current.set(header.subarray(copied, copied + count), this.#used);
      this.#used += count;
      copied += count;
    }
  }

  /** Hands over the headers as chunks, emptying the directory. */
  take(): Uint8Array[] {
    const chunks = this.#blocks;
    if (this.#used > 0) chunks.push(this.#current.subarray(0, this.#used));
    this.#blocks = [];
    this.#current = NO_BLOCK;
    this.#used = 0;
    return chunks;
  }
}
