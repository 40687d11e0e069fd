/**
 * W5, the AWS SDK's way: the same zipstream archive stream handed to
 * `@aws-sdk/lib-storage`'s `Upload` with its defaults (5 MiB parts, 4 in
 * flight).
 *
 * @module
 */

import { Upload } from "@aws-sdk/lib-storage";
import type { Job, Sink } from "./_job.ts";
import { archive } from "./_peer_zipstream.ts";
import { checkStored, counting, localClient, target } from "./_s3_target.ts";

/** Uploads `job`'s archive with lib-storage; `sink` sees every byte sent. */
export async function run(job: Job, sink: Sink): Promise<void> {
  const client = localClient();
  const { bucket, key } = target();
  let sent = 0;
  const body = archive(job).pipeThrough(counting((chunk) => {
    sent += chunk.byteLength;
    sink(chunk);
  }));
  try {
    await new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: body },
    })
      .done();
    await checkStored(client, bucket, key, sent);
  } finally {
    client.destroy();
  }
}
