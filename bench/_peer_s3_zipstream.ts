/**
 * W5, zipstream's way: `zip()` piped into `uploadToS3` with its defaults
 * (5 MiB parts, 4 in flight).
 *
 * @module
 */

import { uploadToS3 } from "../src/s3/mod.ts";
import type { Job, Sink } from "./_job.ts";
import { archive } from "./_peer_zipstream.ts";
import { checkStored, counting, localClient, target } from "./_s3_target.ts";

/** Uploads `job`'s archive with `uploadToS3`; `sink` sees every byte sent. */
export async function run(job: Job, sink: Sink): Promise<void> {
  const client = localClient();
  const { bucket, key } = target();
  let sent = 0;
  const body = archive(job).pipeThrough(counting((chunk) => {
    sent += chunk.byteLength;
    sink(chunk);
  }));
  try {
    await uploadToS3(body, { client, bucket, key });
    await checkStored(client, bucket, key, sent);
  } finally {
    client.destroy();
  }
}
