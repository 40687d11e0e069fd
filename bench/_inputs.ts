/**
 * Deterministic benchmark inputs, shared by the micro benchmarks, the
 * comparison workers and (through files written by `compare.ts`) Python.
 *
 * Big inputs are served as views into a small pool so that generating them
 * costs nothing next to the work being measured: stored data does not care
 * that the pool repeats, and deflate cannot see a repeat further away than
 * its 32 KiB window.
 *
 * @module
 */

/** Bytes in the incompressible pool. */
export const RANDOM_POOL_LENGTH = 16 * 1024 * 1024;
/** Bytes in the log/JSON text pool. */
export const TEXT_POOL_LENGTH = 8 * 1024 * 1024;

/** A xorshift128 generator: fast, seeded, identical on every run. */
function xorshift128(seed: number): () => number {
  let x = seed >>> 0 || 1;
  let y = 362436069;
  let z = 521288629;
  let w = 88675123;
  return () => {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return w;
  };
}

/** `length` pseudo-random bytes that deflate cannot shrink. */
export function randomBytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const next = xorshift128(seed);
  const words = new Uint32Array(Math.ceil(length / 4));
  for (let i = 0; i < words.length; i++) words[i] = next();
  return new Uint8Array(words.buffer, 0, length);
}

const LEVELS = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
const METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"];
const PATHS = [
  "/api/v1/users",
  "/api/v1/orders",
  "/api/v1/items",
  "/healthz",
  "/api/v2/search",
  "/static/app.js",
];
const REGIONS = ["eu-west-1", "us-east-1", "ap-south-1", "eu-central-1"];
const STATUSES = [200, 200, 200, 200, 201, 204, 304, 404, 500];

/**
 * `length` bytes of log lines and JSON records, like a server's output:
 * repetitive keys, varying numbers and random trace ids, so deflate at
 * level 6 shrinks it about four to six times.
 */
export function logText(length: number, seed = 7): Uint8Array<ArrayBuffer> {
  const next = xorshift128(seed);
  const pick = <T>(list: readonly T[]): T => list[next() % list.length] as T;
  const hex = (digits: number) => {
    let s = "";
    while (s.length < digits) s += next().toString(16).padStart(8, "0");
    return s.slice(0, digits);
  };
  const lines: string[] = [];
  let total = 0;
  let ms = Date.UTC(2026, 0, 1);
  while (total < length) {
    ms += next() % 2000;
    const time = new Date(ms).toISOString();
    const line = next() % 3 === 0
      ? JSON.stringify({
        time,
        level: pick(LEVELS).toLowerCase(),
        msg: "request completed",
        method: pick(METHODS),
        path: `${pick(PATHS)}/${next() % 100000}`,
        status: pick(STATUSES),
        duration_ms: (next() % 100000) / 100,
        bytes: next() % 65536,
        region: pick(REGIONS),
        trace_id: hex(32),
      }) + "\n"
      : `${time} ${pick(LEVELS).padEnd(5)} [worker-${next() % 16}] ${
        pick(METHODS)
      } ${pick(PATHS)}/${next() % 100000} ${pick(STATUSES)} ${
        (next() % 100000) / 100
      }ms trace=${hex(16)} user=u${next() % 50000}\n`;
    lines.push(line);
    total += line.length;
  }
  return new TextEncoder().encode(lines.join("")).slice(0, length);
}

/**
 * Views of `size` bytes cycled out of `pool`, `chunkSize` at a time, starting
 * at `start`. No byte is copied; callers must not keep or detach the views.
 */
export function* poolChunks(
  pool: Uint8Array,
  size: number,
  chunkSize: number,
  start = 0,
): Generator<Uint8Array> {
  let offset = start % pool.length;
  let left = size;
  while (left > 0) {
    const length = Math.min(chunkSize, left, pool.length - offset);
    yield pool.subarray(offset, offset + length);
    left -= length;
    offset = (offset + length) % pool.length;
  }
}

/**
 * A pull-driven web stream over `poolChunks`, as a file or network body
 * would give it: one chunk per pull.
 */
export function poolStream(
  pool: Uint8Array,
  size: number,
  chunkSize: number,
  start = 0,
): ReadableStream<Uint8Array> {
  const chunks = poolChunks(pool, size, chunkSize, start);
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  }, { highWaterMark: 0 });
}
