/**
 * `-@`: the paths to add read from standard input, one per line, as zip -@
 * reads them.
 *
 * @module
 */

/**
 * The lines of `input`, each a path: a final `\r` is dropped (files written
 * on Windows), empty lines are skipped; nothing else is trimmed, since a
 * file name may begin or end with spaces.
 */
export async function readNames(
  input: ReadableStream<Uint8Array>,
): Promise<string[]> {
  const text = await new Response(input).text();
  return text.split("\n")
    .map((line) => line.replace(/\r$/, ""))
    .filter((line) => line !== "");
}
