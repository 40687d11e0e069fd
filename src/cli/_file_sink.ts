/**
 * Writing the archive to a file or to standard output.
 *
 * @module
 */

import { CliError } from "./_cli_error.ts";
import { type Leftover, OutputFailure } from "./_target.ts";
import { reason } from "./_walk.ts";

/**
 * Pipes the archive into `path`, created or truncated. If anything fails or
 * `signal` aborts, the partial file is removed before the error is rethrown:
 * a file that exists is a complete archive.
 *
 * @param onCreated Called once a regular file is open, whose removal a
 * failure would then owe.
 * @throws {OutputFailure} Whatever failed, with what it left: nothing when
 * the file could not be created or is not a regular file (a device, a
 * pipe), else the file removed and checked gone, or left.
 */
export async function writeToFile(
  archive: ReadableStream<Uint8Array>,
  path: string,
  signal: AbortSignal,
  onCreated: () => void,
): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    await archive.cancel();
    throw new OutputFailure(
      { kind: "nothing" },
      new CliError(`Cannot create "${path}": ${reason(error)}`, {
        cause: error,
      }),
    );
  }
  // /dev/null and named pipes are written but never removed.
  const regular = (await file.stat()).isFile;
  if (regular) onCreated();
  try {
    await archive.pipeTo(file.writable, { signal });
  } catch (error) {
    try {
      file.close();
    } catch {
      // pipeTo closes the file when it aborts the writable; closing twice is harmless.
    }
    const leftover: Leftover = regular
      ? await removeIncomplete(path)
      : { kind: "nothing" };
    throw new OutputFailure(
      leftover,
      isOsError(error)
        ? new CliError(`Cannot write "${path}": ${reason(error)}`, {
          cause: error,
        })
        : error,
    );
  }
}

/** Removes the incomplete file and checks that it is gone. */
async function removeIncomplete(path: string): Promise<Leftover> {
  try {
    await Deno.remove(path);
  } catch (error) {
    // Already gone: someone else removed it, and this run cannot say it did.
    return error instanceof Deno.errors.NotFound
      ? { kind: "nothing" }
      : { kind: "file-left", path, reason: reason(error) };
  }
  try {
    await Deno.lstat(path);
    return { kind: "file-left", path, reason: "it is still there" };
  } catch (error) {
    return error instanceof Deno.errors.NotFound
      ? { kind: "file-removed", path }
      : { kind: "file-left", path, reason: reason(error) };
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
