// Reads a ZIP archive from standard input with Node `unzipper`'s streaming
// Parse, which sees only local headers, data and data descriptors, for the
// tests. Prints one JSON object per entry on standard output once its data has
// been read to the end, with the CRC-32 of the bytes unzipper handed out,
// computed chunk by chunk (never held whole), as "contentCrc32" (unsigned). On
// an error, prints it on standard error, after the entries read before it, and
// exits with code 3.
//
// Every entry's stream, directories' too, is read to its end before the next
// entry is asked for: unzipper reads the next header only then, and the pipe
// from standard input waits (backpressure) meanwhile, so memory stays flat.

import zlib from "node:zlib";
import unzipper from "unzipper";

// Taken from the default export: a named import would fail to link, with a
// less helpful message, on a Node without it.
const { crc32 } = zlib;
if (typeof crc32 !== "function") {
  process.stderr.write(
    `unzipper_parse.mjs: expected Node 20.15 or later, which has zlib.crc32, but this is Node ${process.version}\n`,
  );
  process.exit(2);
}

const parse = unzipper.Parse({ forceStream: true });
// unzipper reports a bad record by an "error" event on the Parse stream, while
// the current entry's stream may never end: every wait also ends on one.
let failure;
const failed = (error) => {
  failure ??= error;
};
parse.on("error", failed);
process.stdin.on("error", failed);
let finished = false;
// Without a pending read or timer Node would exit quietly, code 0, mid-way.
process.on("beforeExit", () => {
  if (!finished) {
    fail(new Error("unzipper stopped, neither ending nor failing"));
  }
});
process.stdin.pipe(parse);

try {
  const entries = parse[Symbol.asyncIterator]();
  for (;;) {
    const next = await unlessFailed(entries.next());
    if (next.done) break;
    const entry = next.value;
    const reading = readToEnd(entry);
    reading.catch(() => {});
    let read;
    try {
      read = await unlessFailed(reading);
    } catch (error) {
      // unzipper had passed on all of the entry's data before it failed on
      // what follows: the entry was read, so it is listed.
      if (entry.writableEnded) print(entry, await reading);
      throw error;
    }
    print(entry, read);
  }
  finished = true;
} catch (error) {
  fail(error);
}

/**
 * Waits for `promise`, or rejects with the first error of the parser. (Not
 * Promise.race with one long-lived promise: each race would leave it a
 * reaction holding the entry it resolved with, to the end.)
 */
function unlessFailed(promise) {
  return new Promise((resolve, reject) => {
    if (failure !== undefined) return reject(failure);
    const stop = (error) => {
      done();
      reject(error);
    };
    const done = () => {
      parse.off("error", stop);
      process.stdin.off("error", stop);
    };
    parse.on("error", stop);
    process.stdin.on("error", stop);
    promise.then((value) => {
      done();
      resolve(value);
    }, stop);
  });
}

async function readToEnd(entry) {
  let crc = 0;
  let size = 0;
  for await (const chunk of entry) {
    crc = crc32(chunk, crc);
    size += chunk.length;
  }
  return { size, contentCrc32: crc >>> 0 };
}

function print(entry, read) {
  process.stdout.write(
    JSON.stringify({
      name: entry.path,
      isDirectory: entry.type === "Directory",
      size: read.size,
      contentCrc32: read.contentCrc32,
    }) + "\n",
  );
}

function fail(error) {
  finished = true;
  process.stderr.write(
    `${error?.name ?? "Error"}: ${error?.message ?? String(error)}\n`,
  );
  process.exit(3);
}
