/**
 * A planned archive of S3 objects on the local Swift server, downloaded with
 * curl while one of its objects is overwritten: the transfer fails, and what
 * arrived is the start of the planned archive, never bytes of the new
 * object.
 */

import assert from "node:assert/strict";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { planZip } from "../../mod.ts";
import { s3PlanEntries } from "../../src/s3/mod.ts";
import { bytesOf, pseudoRandom } from "../_data.ts";
import { withTempDir } from "../_readers.ts";
import { waitUntil } from "../cli/_cli.ts";
import { withBucket } from "../s3/_local_s3.ts";
import { withArchiveServer } from "./_archive_server.ts";

const MIB = 1 << 20;
const LAST_MODIFIED = Date.UTC(2026, 11, 6);

Deno.test("an S3 object overwritten during a download cuts the transfer: curl fails, and what arrived is the start of the planned archive", async () => {
  await withBucket(async (client, bucket) => {
    // The first object takes seconds at curl's limited rate, far more than
    // the socket buffers hold, so the second is read only after it changed.
    const first = pseudoRandom(40 * MIB, 11);
    const second = pseudoRandom(MIB, 12);
    for (
      const [key, body] of [["a/1.bin", first], ["a/2.bin", second]] as const
    ) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }),
      );
    }
    const entries = await s3PlanEntries(client, { bucket, prefix: "a/" });
    const plan = await planZip(entries, { lastModified: LAST_MODIFIED });
    // What a complete download of the planned objects would be.
    const planned = await bytesOf(
      (await planZip(
        entries.map((entry, i) => ({
          name: entry.name,
          data: i === 0 ? first : second,
          lastModified: entry.lastModified,
        })),
        { lastModified: LAST_MODIFIED },
      )).slice(0),
    );
    assert.equal(planned.length, plan.size);
    await withArchiveServer(plan, (url) =>
      withTempDir(async (dir) => {
        const path = `${dir}/download.zip`;
        const curl = new Deno.Command("curl", {
          args: ["-sS", "--limit-rate", "8M", "-o", path, url],
          stdout: "piped",
          stderr: "piped",
          env: { no_proxy: "*", NO_PROXY: "*" },
        }).spawn();
        await waitUntil(
          "curl has received bytes",
          async () =>
            (await Deno.stat(path).catch(() => ({ size: 0 }))).size > 0,
        );
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: "a/2.bin",
            Body: pseudoRandom(MIB, 13),
          }),
        );
        const { code, stderr } = await curl.output();
        assert.equal(
          code,
          18,
          `curl exits with 18 (partial file); it said ${
            new TextDecoder().decode(stderr)
          }`,
        );
        const received = await Deno.readFile(path);
        assert.ok(
          received.length >= plan.entries[1]!.dataOffset &&
            received.length < plan.entries[1]!.dataOffset + MIB,
          `the transfer stops in the second object's data, at ${received.length}`,
        );
        assert.deepEqual(received, planned.subarray(0, received.length));
      }));
  });
});
