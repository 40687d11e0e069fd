/**
 * Writing the archive to a file or to standard output.
 *
 * @module
 */

import { CliError } from "./_cli_error.ts";
import { reason } from "./_walk.ts";

/**
 * Pipes the archive into `path`, created or truncated. If anything fails or
 * `signal` aborts, the partial file is removed before the error is rethrown:
 * a file that exists is a complete archive.
 */
export async function writeToFile(
  archive: ReadableStream<Uint8Array>,
  path: string,
  signal: AbortSignal,
): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    await archive.cancel();
    throw new CliError(`Cannot create "${path}": ${reason(error)}`, {
      cause: error,
    });
  }
  // /dev/null and named pipes are written but never removed.
  const regular = (await file.stat()).isFile;
  try {
    await archive.pipeTo(file.writable, { signal });
  } catch (error) {
    try {
      file.close();
    } catch {
      // pipeTo closes the file when it aborts the writable; closing twice is harmless.
    }
    if (regular) await Deno.remove(path).catch(() => {});
    if (isOsError(error)) {
      throw new CliError(`Cannot write "${path}": ${reason(error)}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Pipes the archive to standard output. */
export async function writeToStdout(
  archive: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): Promise<void> {
  try {
    await archive.pipeTo(Deno.stdout.writable, { signal });
  } catch (error) {
    if (isOsError(error)) {
      throw new CliError(`Cannot write to standard output: ${reason(error)}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Whether `error` came from the operating system (the sink) rather than the archive. */
function isOsError(error: unknown): boolean {
  return Object.values(Deno.errors).some((type) => error instanceof type);
}
