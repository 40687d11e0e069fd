/**
 * The CLI's journal of uploads as the tests see it: the uploads they start,
 * and the records as stored, read straight from the files, without the
 * journal's own code.
 *
 * @module
 */

import { s3Endpoint } from "../s3/_local_s3.ts";

/**
 * The options of a stored upload to `s3://bucket/key` on the local server in
 * parts of 5 MiB, without progress lines: the run the journal tests start
 * and interrupt.
 */
export function uploadArgs(bucket: string, key: string): string[] {
  return [
    "--store",
    "-o",
    `s3://${bucket}/${key}`,
    "--endpoint",
    s3Endpoint(),
    "--part-size",
    "5MiB",
    "--no-progress",
  ];
}

/**
 * The records in `state/uploads`, each as it is stored; none when the
 * folder does not exist.
 */
export async function storedRecords(
  state: string,
): Promise<Record<string, unknown>[]> {
  try {
    const names = [...Deno.readDirSync(`${state}/uploads`)]
      .filter((entry) => entry.name.endsWith(".json"));
    return await Promise.all(
      names.map(async (entry) =>
        JSON.parse(await Deno.readTextFile(`${state}/uploads/${entry.name}`))
      ),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
