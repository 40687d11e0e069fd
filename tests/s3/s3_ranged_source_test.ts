/**
 * S3 objects as ranged sources of a planned archive, against the two local
 * servers: moto, which keeps S3's CRC32 checksums (single-part, COMPOSITE
 * and FULL_OBJECT), and Swift's s3api, which keeps none.
 */

import assert from "node:assert/strict";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectAttributesCommand,
  type GetObjectAttributesCommandInput,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { planZip, zip, type ZipEntry } from "../../mod.ts";
import { crc32 } from "../../src/zip/crc32.ts";
import {
  s3PlanEntries,
  S3RangedSource,
  s3RangedSource,
} from "../../src/s3/s3_ranged_source.ts";
import type { S3ClientLike, S3Command } from "../../src/s3/s3_client_like.ts";
import { pseudoRandom } from "../_data.ts";
import { assertOpensEverywhere } from "../_readers.ts";
import { localClient, s3Endpoint, withBucket } from "./_local_s3.ts";
import { FaultProxy } from "./_fault_proxy.ts";
import { motoClient, withMotoBucket } from "./_local_moto.ts";

const MIB = 1024 * 1024;
/** Two parts of S3's smallest part size and a short last one. */
const MULTIPART_SIZES = [5 * MIB, 5 * MIB, 1 * MIB + 123];

/** A client that counts the commands it sends, by command name. */
function counting(client: S3ClientLike): {
  client: S3ClientLike;
  count: (command: string) => number;
} {
  const sent: string[] = [];
  return {
    client: {
      send(command: S3Command, options?: { abortSignal?: AbortSignal }) {
        sent.push(command.constructor.name.replace(/Command$/, ""));
        return client.send(command, options);
      },
    },
    count: (command) => sent.filter((name) => name === command).length,
  };
}

/** One part's checksum as UploadPart answered it, and its length. */
interface UploadedPart {
  checksum: string;
  size: number;
}

/** Uploads `data` in MULTIPART_SIZES parts with CRC32 checksums. */
async function putMultipart(
  client: S3Client,
  bucket: string,
  key: string,
  data: Uint8Array,
  checksumType: "COMPOSITE" | "FULL_OBJECT" | undefined,
): Promise<UploadedPart[]> {
  const type = checksumType === undefined ? {} : { ChecksumType: checksumType };
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ChecksumAlgorithm: "CRC32",
      ...type,
    }),
  );
  const parts = [];
  const uploaded: UploadedPart[] = [];
  let offset = 0;
  for (const [index, size] of MULTIPART_SIZES.entries()) {
    const answer = await client.send(
      new UploadPartCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        PartNumber: index + 1,
        Body: data.subarray(offset, offset + size),
        ChecksumAlgorithm: "CRC32",
      }),
    );
    offset += size;
    parts.push({
      PartNumber: index + 1,
      ETag: answer.ETag,
      ChecksumCRC32: answer.ChecksumCRC32,
    });
    uploaded.push({ checksum: answer.ChecksumCRC32!, size });
  }
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: parts },
      ...type,
    }),
  );
  return uploaded;
}

function multipartData(seed: number): Uint8Array<ArrayBuffer> {
  return pseudoRandom(MULTIPART_SIZES.reduce((a, b) => a + b), seed);
}

async function read(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return await new Response(stream).bytes();
}

Deno.test("s3RangedSource() takes the CRC-32 of moto's CRC32 checksums and sends no GetObject", async () => {
  await withMotoBucket(async (client, bucket) => {
    const single = pseudoRandom(70_000, 1);
    const full = multipartData(2);
    const composite = multipartData(3);
    const other = pseudoRandom(1000, 4);
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "single.bin",
        Body: single,
        ChecksumAlgorithm: "CRC32",
      }),
    );
    await putMultipart(client, bucket, "full.bin", full, "FULL_OBJECT");
    await putMultipart(client, bucket, "composite.bin", composite, "COMPOSITE");
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "crc32c.bin",
        Body: other,
        ChecksumAlgorithm: "CRC32C",
      }),
    );
    // Since 3.729 the SDK adds a CRC32 to every upload unless told otherwise.
    const plain = motoClient({ requestChecksumCalculation: "WHEN_REQUIRED" });
    try {
      await plain.send(
        new PutObjectCommand({ Bucket: bucket, Key: "plain.bin", Body: other }),
      );
    } finally {
      plain.destroy();
    }

    const counted = counting(client);
    const source = (key: string) =>
      s3RangedSource(counted.client, { bucket, key });
    const got = {
      single: await source("single.bin"),
      full: await source("full.bin"),
      composite: await source("composite.bin"),
      crc32c: await source("crc32c.bin"),
      plain: await source("plain.bin"),
    };
    assert.equal(got.single.crc32, crc32(single));
    assert.equal(got.single.size, single.length);
    assert.equal(got.full.crc32, crc32(full));
    assert.equal(got.full.size, full.length);
    // moto's GetObjectAttributes lists no ObjectParts, so the parts of a
    // COMPOSITE checksum cannot be had there: no CRC rather than a guess.
    assert.equal(got.composite.crc32, undefined);
    assert.equal(got.crc32c.crc32, undefined);
    assert.equal(got.plain.crc32, undefined);
    assert.equal(counted.count("HeadObject"), 5);
    assert.equal(counted.count("GetObjectAttributes"), 1);
    assert.equal(counted.count("GetObject"), 0);
  });
});

Deno.test("s3RangedSource() joins the parts' CRC32s of a COMPOSITE checksum, and only when they make it", async () => {
  await withMotoBucket(async (client, bucket) => {
    const data = multipartData(5);
    // No ChecksumType: moto then leaves it out of HeadObject too, so only
    // the listed parts can tell the checksum is COMPOSITE.
    const parts = await putMultipart(
      client,
      bucket,
      "parts.bin",
      data,
      undefined,
    );
    // What S3 lists for the object and moto does not: its parts, as their
    // UploadPart answers gave them, two to a page.
    const listing = (listed: UploadedPart[]) => {
      const counted = counting({
        send(command, options) {
          if (!(command instanceof GetObjectAttributesCommand)) {
            return client.send(command as PutObjectCommand, options);
          }
          const input = command.input as GetObjectAttributesCommandInput;
          assert.deepEqual(input.ObjectAttributes, ["ObjectParts"]);
          const from = Number(input.PartNumberMarker ?? 0);
          const page = listed.slice(from, from + 2);
          return Promise.resolve({
            ObjectParts: {
              TotalPartsCount: listed.length,
              IsTruncated: from + 2 < listed.length,
              NextPartNumberMarker: String(from + page.length),
              Parts: page.map((part, index) => ({
                PartNumber: from + index + 1,
                Size: part.size,
                ChecksumCRC32: part.checksum,
              })),
            },
          });
        },
      });
      return counted;
    };

    const honest = listing(parts);
    const source = await s3RangedSource(honest.client, {
      bucket,
      key: "parts.bin",
    });
    assert.equal(source.crc32, crc32(data));
    assert.equal(honest.count("GetObjectAttributes"), 2);
    assert.equal(honest.count("GetObject"), 0);

    // A listing that disagrees with the object's checksum is not used.
    const swapped = [parts[1]!, parts[0]!, parts[2]!];
    const other = pseudoRandom(MULTIPART_SIZES[0]!, 9);
    const changed = [
      {
        ...parts[0]!,
        checksum: btoa(String.fromCharCode(...be32(crc32(other)))),
      },
      parts[1]!,
      parts[2]!,
    ];
    for (const wrong of [swapped, changed, parts.slice(0, 2)]) {
      const lying = listing(wrong);
      const guessed = await s3RangedSource(lying.client, {
        bucket,
        key: "parts.bin",
      });
      assert.equal(guessed.crc32, undefined);
    }
  });
});

function be32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value);
  return bytes;
}

Deno.test("planZip() of moto objects with CRC32 checksums reads no data, and slices read only the ranges they cover", async () => {
  await withMotoBucket(async (client, bucket) => {
    const small = pseudoRandom(5000, 6);
    const big = multipartData(7);
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "set/small.bin",
        Body: small,
        ChecksumAlgorithm: "CRC32",
      }),
    );
    await putMultipart(client, bucket, "set/sub/big.bin", big, "FULL_OBJECT");
    const counted = counting(client);
    const entries = await s3PlanEntries(counted.client, {
      bucket,
      prefix: "set/",
    });
    const plan = await planZip(entries);
    assert.equal(counted.count("GetObject"), 0);
    assert.deepEqual(
      plan.entries.map((entry) => [entry.name, entry.size, entry.crc32]),
      [
        ["small.bin", small.length, crc32(small)],
        ["sub/big.bin", big.length, crc32(big)],
      ],
    );
    const entry = plan.entries[1]!;
    const start = entry.dataOffset + 6 * MIB - 7;
    assert.deepEqual(
      await read(plan.slice(start, start + 1000)),
      big.subarray(6 * MIB - 7, 6 * MIB - 7 + 1000),
    );
    assert.equal(counted.count("GetObject"), 1);
  });
});

Deno.test("s3RangedSource() on Swift has no CRC-32 and reads exact ranges, one GET each, only when pulled", async () => {
  await withBucket(async (client, bucket) => {
    const data = pseudoRandom(300_000, 8);
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: "ranges.bin", Body: data }),
    );
    const counted = counting(client);
    const source = await s3RangedSource(counted.client, {
      bucket,
      key: "ranges.bin",
    });
    assert.equal(source.crc32, undefined);
    assert.equal(source.size, data.length);
    assert.match(
      source.identity,
      new RegExp(`^s3://${bucket}/ranges\\.bin "[0-9a-f]{32}"$`),
    );
    assert.equal(counted.count("HeadObject"), 1);

    // A stream made and never pulled sends nothing.
    const unread = source.read(0, 10);
    assert.equal(counted.count("GetObject"), 0);
    await unread.cancel();

    let state = 12345;
    const random = (below: number) => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state % below;
    };
    const ranges: [number, number][] = [
      [0, 0],
      [0, 1],
      [data.length - 1, data.length],
      [0, data.length],
      [data.length, data.length],
      [150_000, 150_000],
    ];
    for (let i = 0; i < 30; i++) {
      const start = random(data.length + 1);
      ranges.push([start, start + random(data.length - start + 1)]);
    }
    for (const [start, end] of ranges) {
      assert.deepEqual(
        await read(source.read(start, end)),
        data.subarray(start, end),
        `bytes ${start} to ${end}`,
      );
    }
    const nonEmpty = ranges.filter(([start, end]) => end > start).length;
    assert.equal(counted.count("GetObject"), nonEmpty);
    assert.throws(() => source.read(10, data.length + 1), {
      name: "RangeError",
      message:
        `Cannot read s3://${bucket}/ranges.bin: expected a range of whole numbers with 0 <= start <= end <= 300000 but got 10 to 300001`,
    });
  });
});

Deno.test("S3RangedSource fails the read stream when the object was overwritten after the plan (If-Match on Swift)", async () => {
  await withBucket(async (client, bucket) => {
    const key = "changing.txt";
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: "version one" }),
    );
    const source = await s3RangedSource(client, { bucket, key });
    // Same size, other bytes: only the ETag tells.
    await client.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: "version two" }),
    );
    await assert.rejects(
      Array.fromAsync(source.read(0, 7)),
      (error: Error) => {
        assert.equal(
          error.message,
          `Cannot read s3://${bucket}/${key}: it changed since the plan was made (its ETag is no longer ${source.etag})`,
        );
        assert.equal((error.cause as Error).name, "PreconditionFailed");
        return true;
      },
    );
    // A source made from a manifest's record fails alike.
    const recorded = new S3RangedSource({
      client,
      bucket,
      key,
      size: source.size,
      etag: source.etag.replaceAll('"', ""),
    });
    assert.equal(recorded.identity, source.identity);
    await assert.rejects(
      Array.fromAsync(recorded.read(3, 11)),
      /it changed since the plan was made/,
    );
  });
});

Deno.test("planZip() of Swift objects reads each once for its CRC, not at all with the cache, and slice(0) equals zip()", async () => {
  await withBucket(async (client, bucket) => {
    const objects = [
      { key: "set/a.txt", data: new TextEncoder().encode("Hello, Swift!") },
      { key: "set/empty.txt", data: new Uint8Array() },
      { key: "set/folder/", data: new Uint8Array() },
      { key: "set/sub/b.bin", data: pseudoRandom(300_000, 10) },
    ];
    for (const { key, data } of objects) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }),
      );
    }
    const files = objects.filter(({ key }) => !key.endsWith("/"));
    // Counted on the wire, by the proxy: retries and all.
    const proxy = FaultProxy.start(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    const counted = {
      client: proxied,
      count: (command: string) => {
        if (command !== "GetObject") throw new Error(`not counted: ${command}`);
        return proxy.log.filter((entry) =>
          entry.method === "GET" && entry.range !== undefined
        ).length;
      },
    };
    const cache = new Map<string, number>();
    try {
      const entries = await s3PlanEntries(counted.client, {
        bucket,
        prefix: "set/",
        concurrency: 2,
      });
      assert.deepEqual(entries.map((entry) => entry.name), [
        "a.txt",
        "empty.txt",
        "sub/b.bin",
      ]);
      const plan = await planZip(entries, { crcCache: cache });
      // The empty object's CRC is 0 without reading it.
      assert.equal(counted.count("GetObject"), 2);
      assert.equal(cache.size, 2);

      const again = await planZip(
        await s3PlanEntries(counted.client, { bucket, prefix: "set/" }),
        { crcCache: cache },
      );
      assert.equal(counted.count("GetObject"), 2);
      assert.equal(again.etag, plan.etag);

      const planned = await read(plan.slice(0));
      const zipped: ZipEntry[] = files.map(({ data }, index) => ({
        name: entries[index]!.name,
        data: ReadableStream.from([data]),
        size: data.length,
        crc32: crc32(data),
        lastModified: entries[index]!.lastModified,
      }));
      assert.deepEqual(
        planned,
        await read(zip(zipped, { compression: "store" })),
      );
      await assertOpensEverywhere(
        planned,
        files.map(({ data }, index) => ({ name: entries[index]!.name, data })),
      );
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
});

/** A client that answers every GetObject with `answer`'s ETag, length and bytes. */
function answering(
  answer: { etag: string; contentLength: number; bytes: Uint8Array },
): S3ClientLike {
  return {
    send: () =>
      Promise.resolve({
        ETag: answer.etag,
        ContentLength: answer.contentLength,
        Body: {
          transformToWebStream: () => ReadableStream.from([answer.bytes]),
        },
      }),
  };
}

Deno.test("S3RangedSource fails the read stream on an answer of another ETag, or of more or fewer bytes than the range", async () => {
  const source = (client: S3ClientLike) =>
    new S3RangedSource({
      client,
      bucket: "b",
      key: "k",
      size: 100,
      etag: "e1",
    });
  const cases: [string, Parameters<typeof answering>[0], string][] = [
    [
      "a server that ignores If-Match answers with the new version",
      { etag: '"e2"', contentLength: 10, bytes: new Uint8Array(10) },
      'Cannot read s3://b/k: it changed since the plan was made (expected ETag "e1" but GetObject answered "e2")',
    ],
    [
      "a server that ignores Range answers with the whole object",
      { etag: '"e1"', contentLength: 100, bytes: new Uint8Array(100) },
      "Cannot read s3://b/k bytes 0 to 10: expected an answer of 10 bytes but GetObject answered 100",
    ],
    [
      "a body shorter than its length",
      { etag: '"e1"', contentLength: 10, bytes: new Uint8Array(7) },
      "Cannot read s3://b/k bytes 0 to 10: expected 10 bytes but the body ended after 7",
    ],
    [
      "a body longer than its length",
      { etag: '"e1"', contentLength: 10, bytes: new Uint8Array(12) },
      "Cannot read s3://b/k bytes 0 to 10: expected 10 bytes but the body holds more",
    ],
  ];
  for (const [what, answer, message] of cases) {
    await assert.rejects(
      Array.fromAsync(source(answering(answer)).read(0, 10)),
      { message },
      what,
    );
  }
});
