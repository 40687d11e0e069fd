/**
 * The CRC cache of `zipstream plan` and `zipstream serve`: the CRC-32s read
 * from data, kept in a sidecar JSON file between runs, keyed by the sources'
 * identities (a file's path, size, mtime and inode; an object's bucket, key
 * and ETag), so that a second plan of the same files reads none of them.
 *
 * ```json
 * { "zipstream": "crc32-cache", "version": 1,
 *   "crc32": { "file 12 1614834368000 1234 /data/a.txt": "1c291ca3" } }
 * ```
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import { writeAtomically } from "./_atomic_write.ts";
import type { CrcCache } from "../zip/plan_entry.ts";
import { CliError, messageOf } from "./_cli_error.ts";
import { writeLine } from "./_progress.ts";
import { formatCrc, parseCrc } from "./_crc_text.ts";
import { reason } from "./_walk.ts";

const FORMAT = "crc32-cache";
const VERSION = 1;

/**
 * Where the cache lives unless `--crc-cache` says:
 * `$ZIPSTREAM_CACHE_DIR/crc32.json`, else
 * `$XDG_CACHE_HOME/zipstream/crc32.json`, else
 * `~/.cache/zipstream/crc32.json`; `undefined` when the environment names no
 * home, and then no cache is kept.
 */
export function defaultCrcCachePath(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): string | undefined {
  const explicit = env("ZIPSTREAM_CACHE_DIR") || undefined;
  if (explicit !== undefined) return join(explicit, "crc32.json");
  // The XDG base directory rules: an empty variable counts as unset, and a
  // relative XDG_CACHE_HOME is ignored.
  const xdg = env("XDG_CACHE_HOME") || undefined;
  if (xdg !== undefined && isAbsolute(xdg)) {
    return join(xdg, "zipstream", "crc32.json");
  }
  const home = env("HOME") || env("USERPROFILE") || undefined;
  return home === undefined
    ? undefined
    : join(home, ".cache", "zipstream", "crc32.json");
}

/**
 * A {@linkcode CrcCache} loaded from a file and written back, whole, with
 * {@linkcode CrcCacheFile.save}.
 */
export class CrcCacheFile implements CrcCache {
  readonly #path: string;
  readonly #entries: Map<string, number>;
  /** What this run learnt, merged into the file's contents as they are at save time. */
  readonly #learnt = new Map<string, number>();

  /** A cache of `entries` to be saved in `path`; {@linkcode CrcCacheFile.open} reads them from it. */
  constructor(path: string, entries: Map<string, number> = new Map()) {
    this.#path = path;
    this.#entries = entries;
  }

  /**
   * The cache in `path`; empty when there is no such file yet.
   *
   * @throws {CliError} naming the file when it cannot be read or is not a
   * CRC cache: it is then left as it is, since it may be another file
   * named by mistake
   */
  static async open(path: string): Promise<CrcCacheFile> {
    return new CrcCacheFile(path, await readCache(path));
  }

  /** The file. */
  get path(): string {
    return this.#path;
  }

  /** How many CRCs this run added. */
  get learnt(): number {
    return this.#learnt.size;
  }

  get(identity: string): number | undefined {
    return this.#learnt.get(identity) ?? this.#entries.get(identity);
  }

  set(identity: string, crc32: number): void {
    if (this.get(identity) !== crc32) this.#learnt.set(identity, crc32);
  }

  /**
   * Writes the file when this run learnt a CRC: what it holds now (another
   * run may have added to it since it was read) with this run's CRCs, to a
   * temporary file renamed over it, so that a reader never sees half of it.
   *
   * @throws {CliError} naming the file when it cannot be written
   */
  async save(): Promise<void> {
    if (this.#learnt.size === 0) return;
    const merged = await readCache(this.#path).catch(() => this.#entries);
    for (const [identity, crc] of this.#learnt) merged.set(identity, crc);
    const crc32: Record<string, string> = {};
    for (const [identity, crc] of merged) crc32[identity] = formatCrc(crc);
    const text = `${
      JSON.stringify({ zipstream: FORMAT, version: VERSION, crc32 }, null, 1)
    }\n`;
    await writeAtomically(this.#path, text, "the CRC cache");
  }
}

async function readCache(path: string): Promise<Map<string, number>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Map();
    throw new CliError(
      `Cannot read the CRC cache "${path}": ${reason(error)}`,
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw notACache(path, `it is not JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw notACache(path, "it is another kind of file");
  }
  const { zipstream, version, crc32 } = parsed as Record<string, unknown>;
  if (zipstream !== FORMAT) {
    throw notACache(path, "it is another kind of file");
  }
  if (version !== VERSION) {
    throw notACache(path, `it has version ${JSON.stringify(version)}`);
  }
  if (typeof crc32 !== "object" || crc32 === null || Array.isArray(crc32)) {
    throw notACache(path, 'its "crc32" is not an object');
  }
  const entries = new Map<string, number>();
  for (const [identity, text] of Object.entries(crc32)) {
    const crc = parseCrc(text);
    if (crc === undefined) {
      throw notACache(
        path,
        `it holds ${JSON.stringify(text)} for ${
          JSON.stringify(identity)
        }, not eight hex digits`,
      );
    }
    entries.set(identity, crc);
  }
  return entries;
}

/** A file that is not a CRC cache is left alone: it may be another file named by mistake. */
function notACache(path: string, received: string): CliError {
  return new CliError(
    `Cannot use the CRC cache "${path}": expected a zipstream CRC cache (JSON with "zipstream": "${FORMAT}", "version": ${VERSION}) but ${received}; delete it, name another file with --crc-cache FILE, or give --no-crc-cache`,
  );
}

/**
 * The cache at {@linkcode defaultCrcCachePath}, for runs that take no
 * `--crc-cache` (the server-side build of the main command); `undefined`
 * without a home, or when the file is not a cache, which is then left
 * alone with a line saying so.
 */
export async function openDefaultCrcCache(): Promise<CrcCacheFile | undefined> {
  const path = defaultCrcCachePath();
  if (path === undefined) return undefined;
  try {
    return await CrcCacheFile.open(path);
  } catch (error) {
    writeLine(`zipstream: not using the CRC cache: ${messageOf(error)}`);
    return undefined;
  }
}
