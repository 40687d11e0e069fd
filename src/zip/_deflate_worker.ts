/**
 * The body of a deflate worker: compresses the blocks it is sent with the
 * engine of its runtime and sends each output back, with the input's buffer
 * for reuse. It announces itself once loaded, with the engines it has, and
 * compresses with the one the sender names, so that its output is the same
 * as the sender's.
 *
 * Never loaded by URL: `scripts/build_worker_source.ts` bundles it with pako
 * into `_deflate_worker_source.ts`, the string the pool starts workers from.
 *
 * @module
 */

import {
  defaultEngine,
  type DeflateEngine,
  pakoEngine,
} from "./_deflate_engine.ts";

/** A block to compress, sent to a worker (its buffer transferred). */
export interface BlockRequest {
  buffer: ArrayBuffer;
  /** The sender's engine, one of those the worker announced. */
  engine: DeflateEngine["name"];
  /** How many bytes of `buffer` are input. */
  length: number;
  level: number;
  final: boolean;
}

/** What a worker sends back. */
export type WorkerReply =
  | { kind: "ready"; engines: DeflateEngine["name"][] }
  | { kind: "done"; output: Uint8Array; input: ArrayBuffer }
  | { kind: "error"; message: string; input: ArrayBuffer };

/** The part of a dedicated worker's global scope this module uses. */
interface WorkerScope {
  postMessage(message: WorkerReply, transfer: Transferable[]): void;
  addEventListener(
    type: "message",
    listener: (event: MessageEvent<BlockRequest>) => void,
  ): void;
}

const scope = globalThis as unknown as WorkerScope;

const engines = new Map<DeflateEngine["name"], DeflateEngine>(
  [pakoEngine, defaultEngine].map((engine) => [engine.name, engine]),
);

scope.addEventListener("message", ({ data }) => {
  const { buffer, engine, length, level, final } = data;
  let compressed: Uint8Array;
  try {
    compressed = engines.get(engine)!.compressBlock(
      new Uint8Array(buffer, 0, length),
      level,
      final,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    scope.postMessage({ kind: "error", message, input: buffer }, [buffer]);
    return;
  }
  // Only a buffer that holds exactly the output is handed over; any other
  // (a view into a larger or shared buffer, as small zlib outputs are) is
  // copied first.
  const output = ownsBuffer(compressed) ? compressed : compressed.slice();
  scope.postMessage({ kind: "done", output, input: buffer }, [
    output.buffer,
    buffer,
  ]);
});

scope.postMessage({ kind: "ready", engines: [...engines.keys()] }, []);

function ownsBuffer(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength;
}
