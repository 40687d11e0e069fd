/**
 * s3Entries() against the real local S3 server: a prefix of many objects
 * zipped into another key of the same server, and a GET broken mid-object
 * (by the fault proxy) resumed.
 */

import assert from "node:assert/strict";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { predictLength, zip } from "../../mod.ts";
import { s3Entries, uploadToS3 } from "../../src/s3/mod.ts";
import { assertOpensEverywhere, type ExpectedEntry } from "../_readers.ts";
import { FaultProxy } from "./_fault_proxy.ts";
import {
  getObjectStream,
  localClient,
  randomStream,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

function bytesOf(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** Puts objects under `prefix`, a few at a time; returns name -> bytes. */
async function putObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  count: number,
): Promise<Map<string, Uint8Array>> {
  const contents = new Map<string, Uint8Array>();
  const folders = ["", "docs/", "docs/2024/", "médias/", "深い/フォルダ/"];
  for (let i = 0; i < count; i++) {
    const size = i % 10 === 0
      ? 0
      : i % 17 === 0
      ? 700 * KIB
      : (i * 7919) % (40 * KIB);
    contents.set(
      `${folders[i % folders.length]}file ${i} ü.bin`,
      bytesOf(size, i + 1),
    );
  }
  const names = [...contents.keys()];
  for (let start = 0; start < names.length; start += 8) {
    await Promise.all(
      names.slice(start, start + 8).map((name) =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: prefix + name,
            Body: contents.get(name)!,
          }),
        )
      ),
    );
  }
  return contents;
}

function expected(contents: Map<string, Uint8Array>): ExpectedEntry[] {
  // ListObjectsV2 gives keys in UTF-8 byte order, which for these names is code unit order.
  return [...contents.keys()].sort().map((name) => ({
    name,
    data: contents.get(name)!,
  }));
}

Deno.test("s3Entries() zips a prefix of 300 objects into another key of the same server, entry for entry", async () => {
  await withBucket(async (client, bucket) => {
    const contents = await putObjects(client, bucket, "source/", 300);
    // A multipart object too, whose ETag ("...-2") the resumable reader pins with If-Match.
    const big = randomStream(6 * MIB, 77);
    await uploadToS3(big.stream, {
      client,
      bucket,
      key: "source/big/multipart.bin",
      partSize: 5 * MIB,
    });
    contents.set(
      "big/multipart.bin",
      await new Response(randomStream(6 * MIB, 77).stream).bytes(),
    );
    const result = await uploadToS3(
      zip(s3Entries({ client, bucket, prefix: "source/", readAhead: 8 })),
      { client, bucket, key: "archives/source.zip", partSize: 5 * MIB },
    );
    assert.ok(result.size > 0);
    await assertOpensEverywhere(
      await getObjectStream(client, bucket, "archives/source.zip"),
      expected(contents),
    );
  });
});

Deno.test("s3Entries() with stored entries lets predictLength() size the upload exactly", async () => {
  await withBucket(async (client, bucket) => {
    const contents = await putObjects(client, bucket, "in/", 40);
    const entries = await Array.fromAsync(
      s3Entries({ client, bucket, prefix: "in/", compression: "store" }),
    );
    const length = predictLength(entries);
    const result = await uploadToS3(zip(entries), {
      client,
      bucket,
      key: "out.zip",
      contentLength: length,
    });
    assert.equal(result.size, length);
    await assertOpensEverywhere(
      await getObjectStream(client, bucket, "out.zip"),
      expected(contents),
    );
  });
});

Deno.test("s3Entries() resumes a GET the network cut mid-object with a Range request", async () => {
  await withBucket(async (client, bucket) => {
    const data = bytesOf(3 * MIB, 9);
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: "src/cut.bin", Body: data }),
    );
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      proxy.inject(
        (request) =>
          request.method === "GET" && request.path.endsWith("/cut.bin"),
        { kind: "cut-answer", bytes: MIB },
        1,
      );
      const [entry] = await Array.fromAsync(
        s3Entries({
          client: proxied,
          bucket,
          prefix: "src/",
          retry: { baseDelay: 10, maxDelay: 100 },
        }),
      );
      const read = await new Response(entry!.data as ReadableStream<Uint8Array>)
        .bytes();
      assert.equal(read.length, data.length);
      assert.ok(read.every((byte, i) => byte === data[i]), "the bytes match");
      const gets = proxy.log.filter((e) =>
        e.method === "GET" && e.path.endsWith("/cut.bin")
      );
      assert.equal(gets.length, 2);
      assert.equal(gets[0]!.action, "cut-answer");
      assert.match(gets[1]!.range ?? "", /^bytes=\d+-$/);
      assert.ok(
        Number(/\d+/.exec(gets[1]!.range!)![0]) > 0,
        "the resumed GET starts past 0",
      );
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});

Deno.test("s3Entries() fails an object overwritten after it was listed, on the real server", async () => {
  await withBucket(async (client, bucket) => {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "p/a.txt",
        Body: bytesOf(1000, 1),
      }),
    );
    const [entry] = await Array.fromAsync(
      s3Entries({ client, bucket, prefix: "p/" }),
    );
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "p/a.txt",
        Body: bytesOf(1000, 2),
      }),
    );
    await assert.rejects(
      new Response(entry!.data as ReadableStream<Uint8Array>).bytes(),
      /^Error: Cannot read s3:\/\/zipstream-test-[^/]+\/p\/a\.txt: it changed after it was listed \(its ETag is no longer "[0-9a-f]{32}"\)$/,
    );
  });
});
