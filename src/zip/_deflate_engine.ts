/**
 * The raw deflate (RFC 1951) engines: the runtime's native zlib where there is
 * one (Deno, Node, Bun), pako elsewhere (browsers). Loaded by deflate workers
 * too, so it depends on nothing else of the archive writer.
 *
 * @module
 */

import { pakoEngine } from "./_pako_engine.ts";

export { pakoEngine };

/** Compresses independent blocks of a raw deflate stream. */
export interface DeflateEngine {
  /** Which engine this is: a worker must use the same one for the same bytes. */
  readonly name: "native" | "pako";
  /**
   * Compresses `block` with an empty dictionary. A block that is not `final`
   * ends with a sync flush (an empty stored block, byte-aligned, not the
   * last), so the next block's output can follow it directly.
   */
  compressBlock(block: Uint8Array, level: number, final: boolean): Uint8Array;
  /** Compresses bytes that are all in memory at once, as one stream. */
  compress(data: Uint8Array, level: number): Uint8Array;
}

/** The part of `node:zlib` the native engine uses. */
export interface NativeZlib {
  deflateRawSync(
    data: Uint8Array,
    options: { level: number; finishFlush?: number },
  ): Uint8Array;
  constants: { Z_SYNC_FLUSH: number };
}

/**
 * The runtime's zlib, found without importing `node:` modules so that this
 * file still loads in browsers and workers.
 */
function findNativeZlib(): NativeZlib | undefined {
  const runtime = globalThis as {
    process?: { getBuiltinModule?: (id: string) => unknown };
  };
  try {
    const zlib = runtime.process?.getBuiltinModule?.("node:zlib") as
      | Partial<NativeZlib>
      | undefined;
    return typeof zlib?.deflateRawSync === "function" &&
        zlib.constants !== undefined
      ? zlib as NativeZlib
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deno's native deflate writes level 1 output 27 % larger than zlib's level 1
 * and level 9 output 2 % larger than its own level 8, while its level 2 is
 * both faster and smaller than zlib's level 1 (bench/deflate_bench.ts). These
 * levels are mapped so that every level compresses at least as well as zlib.
 */
const NATIVE_LEVELS: readonly number[] = [0, 2, 2, 3, 4, 5, 6, 7, 8, 8];

/** The native engine; exported for tests that compare the engines. */
export function nativeEngine(zlib: NativeZlib): DeflateEngine {
  return {
    name: "native",
    compressBlock(block, level, final) {
      const native = NATIVE_LEVELS[level]!;
      return zlib.deflateRawSync(
        block,
        final
          ? { level: native }
          : { level: native, finishFlush: zlib.constants.Z_SYNC_FLUSH },
      );
    },
    compress: (data, level) =>
      zlib.deflateRawSync(data, { level: NATIVE_LEVELS[level]! }),
  };
}

const nativeZlib = findNativeZlib();

/** The engine of this runtime: native zlib where there is one, else pako. */
export const defaultEngine: DeflateEngine = nativeZlib === undefined
  ? pakoEngine
  : nativeEngine(nativeZlib);
