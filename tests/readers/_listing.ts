/**
 * Runs a reader process that prints one JSON object per entry it has read
 * (see `ZipReaders.java` and `unzipper_parse.mjs`), and on an error prints it
 * on stderr after those entries and exits with code 3.
 *
 * @module
 */

/** One entry as a reader read it, its bytes checked as they streamed past. */
export interface ListedEntry {
  name: string;
  isDirectory: boolean;
  /** Bytes read. */
  size: number;
  /**
   * CRC-32 (unsigned) of the bytes read, computed by the reader program from
   * them, not taken from the archive.
   */
  contentCrc32: number;
}

/** The entries a reader read, in order, and the error it stopped on, if any. */
export interface ReaderListing<E extends ListedEntry = ListedEntry> {
  entries: E[];
  /** `Class: message` as the reader printed it. */
  error: string | undefined;
}

/** How long a reader may neither take input nor print before it is killed. */
const STALL_MS = 120_000;

/**
 * Runs `command`, piping the archive at `stdinPath` into it if given. A
 * reader fed through a pipe that stalls (takes no input and prints nothing
 * for two minutes) is killed, and its listing ends with an error saying so:
 * a streaming reader may wait for the end of data it cannot find.
 *
 * @throws {Error} when the reader exits otherwise than with 0 or 3
 */
export async function runListingReader<E extends ListedEntry>(
  what: string,
  command: string,
  args: string[],
  stdinPath: string | undefined,
): Promise<ReaderListing<E>> {
  const child = new Deno.Command(command, {
    args,
    stdin: stdinPath === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let lastProgress = Date.now();
  const progress = () => {
    lastProgress = Date.now();
  };
  let stalled = false;
  const watchdog = stdinPath === undefined ? undefined : setInterval(() => {
    if (Date.now() - lastProgress < STALL_MS) return;
    stalled = true;
    try {
      child.kill("SIGKILL");
    } catch {
      // It has just exited.
    }
  }, 1000);
  try {
    const counted = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        progress();
        controller.enqueue(chunk);
      },
    });
    const [stdout, stderr, status] = await Promise.all([
      new Response(child.stdout.pipeThrough(counted)).text(),
      new Response(child.stderr).text(),
      child.status,
      stdinPath === undefined
        ? undefined
        : feed(stdinPath, child.stdin, progress),
    ]);
    const entries = stdout.split("\n").filter((line) => line !== "").map(
      (line) => JSON.parse(line) as E,
    );
    if (stalled) {
      return {
        entries,
        error: `Stalled: no progress in ${STALL_MS / 1000} s, killed`,
      };
    }
    if (status.code === 0) return { entries, error: undefined };
    if (status.code === 3) return { entries, error: stderr.trim() };
    throw new Error(
      `${what} exited with code ${status.code}: ${stderr.trim()}`,
    );
  } finally {
    clearInterval(watchdog);
  }
}

/** Pipes a file into a reader; one that stops early just closes the pipe. */
async function feed(
  path: string,
  sink: WritableStream<Uint8Array>,
  onChunk: () => void,
): Promise<void> {
  const file = await Deno.open(path);
  const counted = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      onChunk();
      controller.enqueue(chunk);
    },
  });
  try {
    await file.readable.pipeThrough(counted).pipeTo(sink);
  } catch {
    // The reader stopped reading: its exit code and stderr tell why.
  }
}
