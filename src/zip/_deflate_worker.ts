/**
 * The body of a deflate worker: compresses the blocks of streamed entries, or
 * batches of entries given whole, with the engine of its runtime and sends
 * each output back, with the input's buffer for reuse. It announces itself once loaded, with the engines it has, and
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

/**
 * A block of a streamed entry to compress, sent to a worker (its buffer
 * transferred).
 */
export interface BlockRequest {
  kind: "block";
  buffer: ArrayBuffer;
  /** The sender's engine, one of those the worker announced. */
  engine: DeflateEngine["name"];
  /** How many bytes of `buffer` are input. */
  length: number;
  level: number;
  final: boolean;
}

/**
 * Entries given whole, compressed each as one stream (`engine.compress`),
 * exactly as the sender would: their data lies end to end in `buffer`
 * (transferred), one message for many small entries.
 */
export interface EntriesRequest {
  kind: "entries";
  buffer: ArrayBuffer;
  engine: DeflateEngine["name"];
  /** How many bytes of `buffer` each entry has, in order. */
  lengths: number[];
  /** Each entry's level. */
  levels: number[];
}

/** What a worker is sent. */
export type WorkerRequest = BlockRequest | EntriesRequest;

/** What a worker sends back. */
export type WorkerReply =
  | { kind: "ready"; engines: DeflateEngine["name"][] }
  | {
    kind: "done";
    /** The output: a block's, or every entry's end to end. */
    output: Uint8Array;
    /** For entries, how many bytes of `output` each has. */
    lengths: number[] | undefined;
    input: ArrayBuffer;
  }
  | { kind: "error"; message: string; input: ArrayBuffer };

/** The part of a dedicated worker's global scope this module uses. */
interface WorkerScope {
  postMessage(message: WorkerReply, transfer: Transferable[]): void;
  addEventListener(
    type: "message",
    listener: (event: MessageEvent<WorkerRequest>) => void,
  ): void;
}

const scope = globalThis as unknown as WorkerScope;

const engines = new Map<DeflateEngine["name"], DeflateEngine>(
  [pakoEngine, defaultEngine].map((engine) => [engine.name, engine]),
);

scope.addEventListener("message", ({ data }) => {
  const { buffer } = data;
  let output: Uint8Array<ArrayBuffer>;
  let lengths: number[] | undefined;
  try {
    const engine = engines.get(data.engine)!;
    if (data.kind === "block") {
      const compressed = engine.compressBlock(
        new Uint8Array(buffer, 0, data.length),
        data.level,
        data.final,
      );
      // Only a buffer that holds exactly the output is handed over; any
      // other (a view into a larger or shared buffer, as small zlib outputs
      // are) is copied first.
      output = ownsBuffer(compressed) ? compressed : compressed.slice();
    } else {
      ({ output, lengths } = compressEntries(engine, data));
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    scope.postMessage({ kind: "error", message, input: buffer }, [buffer]);
    return;
  }
  scope.postMessage({ kind: "done", output, lengths, input: buffer }, [
    output.buffer,
    buffer,
  ]);
});

/** Compresses each entry of `request` on its own; the outputs end to end. */
function compressEntries(
  engine: DeflateEngine,
  request: EntriesRequest,
): { output: Uint8Array<ArrayBuffer>; lengths: number[] } {
  const outputs: Uint8Array[] = [];
  let total = 0;
  let at = 0;
  for (let i = 0; i < request.lengths.length; i++) {
    const length = request.lengths[i]!;
    const compressed = engine.compress(
      new Uint8Array(request.buffer, at, length),
      request.levels[i]!,
    );
    at += length;
    outputs.push(compressed);
    total += compressed.length;
  }
  const output = new Uint8Array(total);
  const lengths: number[] = [];
  let offset = 0;
  for (const compressed of outputs) {
    output.set(compressed, offset);
    offset += compressed.length;
    lengths.push(compressed.length);
  }
  return { output, lengths };
}

scope.postMessage({ kind: "ready", engines: [...engines.keys()] }, []);

function ownsBuffer(bytes: Uint8Array): bytes is Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength;
}
