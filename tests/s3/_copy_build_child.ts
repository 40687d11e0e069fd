/**
 * A process that builds `s3://BUCKET/KEY` server-side from the objects
 * under `src/`, keeping each checkpoint in CHECKPOINT_FILE, for the test
 * that kills it mid-build and resumes.
 *
 *     deno run -A tests/s3/_copy_build_child.ts ENDPOINT BUCKET KEY CHECKPOINT_FILE
 */

import { planZip } from "../../mod.ts";
import { copyPlanToS3, s3PlanEntries } from "../../src/s3/mod.ts";
import { localClient } from "./_local_s3.ts";

export const BUILD_TIME = Date.UTC(2026, 11, 6, 12);

if (import.meta.main) {
  const [endpoint, bucket, key, checkpointFile] = Deno.args;
  const client = localClient({ endpoint });
  const plan = await planZip(
    await s3PlanEntries(client, { bucket: bucket!, prefix: "src/" }),
    { lastModified: BUILD_TIME },
  );
  await copyPlanToS3(plan, {
    client,
    bucket: bucket!,
    key: key!,
    concurrency: 1,
    abortOnFailure: false,
    async onCheckpoint(checkpoint) {
      // Renamed into place, so that a kill never leaves half a file.
      await Deno.writeTextFile(
        `${checkpointFile}.tmp`,
        JSON.stringify(checkpoint),
      );
      await Deno.rename(`${checkpointFile}.tmp`, checkpointFile!);
    },
  });
}
