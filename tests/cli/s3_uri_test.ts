import assert from "node:assert/strict";
import { UsageError } from "../../src/cli/_cli_error.ts";
import { isS3Uri, parseS3Uri } from "../../src/cli/_s3_uri.ts";

Deno.test("parseS3Uri() splits bucket and key, a bucket alone meaning the whole bucket", () => {
  assert.deepEqual(parseS3Uri("s3://photos"), { bucket: "photos", key: "" });
  assert.deepEqual(parseS3Uri("s3://photos/"), { bucket: "photos", key: "" });
  assert.deepEqual(parseS3Uri("s3://photos/2024/"), {
    bucket: "photos",
    key: "2024/",
  });
  assert.deepEqual(parseS3Uri("S3://photos/2024/a b.jpg"), {
    bucket: "photos",
    key: "2024/a b.jpg",
  });
});

Deno.test("isS3Uri() tells s3:// paths from local ones, whatever the scheme's case", () => {
  assert.deepEqual(
    ["s3://b/k", "S3://b", "s3:/b", "./s3://b", "photos/"].map(isS3Uri),
    [true, true, false, false, false],
  );
});

Deno.test("parseS3Uri() rejects a path without a bucket as a usage error", () => {
  for (const path of ["s3://", "s3:///key"]) {
    assert.throws(() => parseS3Uri(path), (error: unknown) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        `Invalid S3 path "${path}": expected s3://bucket/prefix/ or s3://bucket/key, such as s3://photos/2024/`,
      );
      return true;
    });
  }
});
