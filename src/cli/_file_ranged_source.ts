/**
 * A local file as a `RangedSource`: the bytes of one version of it, the one
 * that was planned, readable from any offset, and a stream that fails rather
 * than give the bytes of another version.
 *
 * @module
 */

import { resolve } from "node:path";
import type { RangedSource } from "../zip/ranged_source.ts";
import { CliError } from "./_cli_error.ts";
import { reason } from "./_walk.ts";

// Large reads keep the per-chunk cost of the stream machinery low.
const READ_CHUNK = 256 * 1024;

/** Which version of a file was planned: what `stat` said of it then. */
export interface FileVersion {
  /** The absolute path. */
  readonly path: string;
  readonly size: number;
  /** Modification time in epoch milliseconds; `undefined` where the platform has none. */
  readonly mtime: number | undefined;
  /** The inode number; `undefined` where the platform has none (Windows). */
  readonly inode: number | undefined;
}

/**
 * The bytes of one version of a local file. Nothing is opened until a
 * stream is first pulled; each read opens the file, checks that its size,
 * modification time and inode are still those planned, and streams exactly
 * the range asked for, closing the file at the end or when cancelled.
 */
export class FileRangedSource implements RangedSource {
  readonly #version: FileVersion;
  readonly #identity: string;

  /** A source for a version known already, e.g. from a manifest: nothing is read. */
  constructor(version: FileVersion) {
    this.#version = { ...version, path: resolve(version.path) };
    const { path, size, mtime, inode } = this.#version;
    // The path last, so that it may hold any character.
    this.#identity = `file ${size} ${mtime ?? "-"} ${inode ?? "-"} ${path}`;
  }

  /** The version planned: path, size, mtime and inode. */
  get version(): FileVersion {
    return this.#version;
  }

  get size(): number {
    return this.#version.size;
  }

  /** Size, mtime, inode and absolute path: changes when the file does. */
  get identity(): string {
    return this.#identity;
  }

  /**
   * Checks now, by `stat`, that the file is still the version planned.
   *
   * @throws {CliError} naming the path and what changed
   */
  async checkUnchanged(): Promise<void> {
    const { path } = this.#version;
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      throw new CliError(
        `Cannot read "${path}": ${
          reason(error)
        }; it changed since the plan was made`,
        { cause: error },
      );
    }
    this.#check(info);
  }

  read(start: number, end: number): ReadableStream<Uint8Array> {
    const { path } = this.#version;
    let file: Deno.FsFile | undefined;
    let position = start;
    const close = () => {
      file?.close();
      file = undefined;
    };
    return new ReadableStream({
      type: "bytes",
      pull: async (controller) => {
        try {
          if (file === undefined) {
            file = await Deno.open(path, { read: true });
            // The open file's own stat: the file read is the file checked.
            this.#check(await file.stat());
            await file.seek(start, Deno.SeekMode.Start);
          }
          if (position === end) {
            close();
            controller.close();
            return;
          }
          const buffer = new Uint8Array(Math.min(READ_CHUNK, end - position));
          const count = await file.read(buffer);
          if (count === null) {
            throw new CliError(
              `Cannot read "${path}": it ended at byte ${position}, before byte ${end}; it changed since the plan was made`,
            );
          }
          position += count;
          controller.enqueue(buffer.subarray(0, count));
        } catch (error) {
          close();
          if (error instanceof CliError) throw error;
          throw new CliError(`Cannot read "${path}": ${reason(error)}`, {
            cause: error,
          });
        }
      },
      cancel: close,
    });
  }

  #check(info: Deno.FileInfo): void {
    const now = versionOf(this.#version.path, info);
    const { size, mtime, inode } = this.#version;
    if (now.size === size && now.mtime === mtime && now.inode === inode) {
      return;
    }
    throw new CliError(
      `Cannot read "${this.#version.path}": it changed since the plan was made: expected ${
        describeVersion(this.#version)
      } but it has ${describeVersion(now)}`,
    );
  }
}

/** The version `stat` describes. */
export function versionOf(path: string, info: Deno.FileInfo): FileVersion {
  return {
    path: resolve(path),
    size: info.size,
    mtime: info.mtime?.getTime(),
    inode: info.ino ?? undefined,
  };
}

function describeVersion({ size, mtime, inode }: FileVersion): string {
  const time = mtime === undefined ? "none" : new Date(mtime).toISOString();
  return `size ${size}, mtime ${time}, inode ${inode ?? "none"}`;
}
