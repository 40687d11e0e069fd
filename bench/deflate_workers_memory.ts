/**
 * Peak RSS of `zip()` deflating one large stream of log text, with and
 * without deflate workers, as the input grows: whether memory stays bounded.
 *
 *     deno run -A bench/deflate_workers_memory.ts          # 2 workers, 8 GiB
 *     deno run -A bench/deflate_workers_memory.ts 8 0      # in the calling thread
 *
 * Prints the resident set size every 512 MiB of input, then the speed and
 * the peak (`VmHWM`).
 *
 * @module
 */

import { zip } from "../mod.ts";
import { logText } from "./_inputs.ts";

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const POOL_LENGTH = 8 * MIB;
const CHUNK = 64 * 1024;
const REPORT_EVERY = 512 * MIB;
/** Steps through the pool so that deflate never sees it repeat within its window. */
const STRIDE = 7;

const size = Number(Deno.args[0] ?? "8") * GIB;
const workers = Number(Deno.args[1] ?? "2");

function status(field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m")
    .exec(Deno.readTextFileSync("/proc/self/status"));
  if (!match) throw new Error(`Cannot read ${field} from /proc/self/status`);
  return Number(match[1]) / 1024;
}

const pool = logText(POOL_LENGTH);
let sent = 0;
const data = new ReadableStream<Uint8Array>({
  pull(controller) {
    if (sent >= size) {
      controller.close();
      return;
    }
    const offset = (sent * STRIDE) % (pool.length - CHUNK);
    controller.enqueue(pool.subarray(offset, offset + CHUNK));
    sent += CHUNK;
    if (sent % REPORT_EVERY === 0) {
      console.log(
        `${sent / GIB} GiB in: RSS ${status("VmRSS").toFixed(0)} MiB`,
      );
    }
  },
});

const started = performance.now();
let written = 0;
for await (const chunk of zip([{ name: "big.log", data }], { workers })) {
  written += chunk.length;
}
const seconds = (performance.now() - started) / 1000;
console.log(
  `${size / GIB} GiB, workers: ${workers}: ${
    (size / 1e6 / seconds).toFixed(0)
  } MB/s, ${written} bytes out, peak RSS ${status("VmHWM").toFixed(0)} MiB`,
);
