/**
 * What every part costs the client and how it stays protected: each
 * UploadPart and PutObject carries the CRC-32 of its bytes (computed once by
 * zipstream, none by the SDK), its payload is signed or not as
 * `payloadSigning` says, an echoed checksum that is not ours is retried,
 * and a damaged body is refused by a server that checks what it can.
 *
 * Against the local Swift server (through `TamperProxy`, which sees the
 * bytes on the wire), the recording fake, and `bench/_null_s3.ts` run in
 * this process as a server that checks `x-amz-checksum-crc32` as S3 does
 * (Swift's s3api ignores it; moto 5.2 echoes any value without checking it).
 *
 *     bash scripts/with_s3_server.sh deno test -A tests/s3/upload_cost_test.ts
 */

import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import https from "node:https";
import { crc32 } from "node:zlib";
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import {
  S3UploadError,
  type UploadOptions,
  uploadToS3,
} from "../../src/s3/mod.ts";
import { isPutObject, isUploadPart } from "./_fault_proxy.ts";
import { type TamperLogEntry, TamperProxy } from "./_tamper_proxy.ts";
import {
  localClient,
  objectSha256,
  pendingUploads,
  s3Endpoint,
  withBucket,
} from "./_local_s3.ts";
import {
  FAKE_PART_SIZE,
  fakeUploadOptions,
  patternStream,
  RecordingS3,
} from "./_recording_s3.ts";
import {
  makeCertificates,
  NullS3,
  type NullS3Stats,
  STATS_PATH,
} from "../../bench/_null_s3.ts";

const MIB = 1024 * 1024;
const PART = 5 * MIB;
const KEY = "cost.zip";
/** Three parts: two whole, one short. */
const SIZE = 2 * PART + MIB;

/** `size` random bytes. */
function randomBody(size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  }
  return bytes;
}

/** `bytes` as a stream of 256 KiB chunks. */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 256 * 1024) {
    chunks.push(bytes.subarray(at, at + 256 * 1024));
  }
  return ReadableStream.from(chunks);
}

/** A CRC-32 as `x-amz-checksum-crc32` carries it: base64 of 4 big-endian bytes. */
function crcHeader(value: number): string {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0);
  return btoa(String.fromCharCode(...bytes));
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The UploadPart requests the proxy saw, by part number, in order of arrival. */
function partRequests(
  log: TamperLogEntry[],
  partNumber?: number,
): TamperLogEntry[] {
  return log.filter(isUploadPart(partNumber));
}

const retry = { baseDelay: 10, maxDelay: 100, attempts: 3 };

/** Uploads `body` to the local server through a `TamperProxy`, set up by `prepare`. */
async function throughProxy(
  body: Uint8Array,
  options: Partial<UploadOptions>,
  prepare: (proxy: TamperProxy) => void,
  judge: (outcome: {
    client: S3Client;
    bucket: string;
    log: TamperLogEntry[];
    error: unknown;
  }) => Promise<void>,
): Promise<void> {
  await withBucket(async (client, bucket) => {
    const proxy = new TamperProxy(s3Endpoint());
    const proxied = localClient({ endpoint: proxy.endpoint });
    try {
      prepare(proxy);
      let error: unknown;
      try {
        await uploadToS3(streamOf(body), {
          client: proxied,
          bucket,
          key: KEY,
          partSize: PART,
          concurrency: 2,
          retry,
          ...options,
        });
      } catch (caught) {
        error = caught;
      }
      await judge({ client, bucket, log: proxy.log, error });
    } finally {
      proxied.destroy();
      await proxy.close();
    }
  });
}

// ---------------------------------------------------------- on the wire

for (
  const [mode, signed] of [
    ["auto", true],
    ["always", true],
    ["never", false],
  ] as const
) {
  Deno.test(
    `uploadToS3() sends each part's CRC-32 and, with payloadSigning "${mode}" over plain HTTP, ${
      signed ? "its signed SHA-256" : "UNSIGNED-PAYLOAD"
    }`,
    async () => {
      const body = randomBody(SIZE);
      await throughProxy(
        body,
        { payloadSigning: mode },
        () => {},
        async ({ client, bucket, log, error }) => {
          assert.equal(error, undefined, `the upload failed: ${error}`);
          assert.equal(
            await objectSha256(client, bucket, KEY),
            sha256Hex(body),
          );
          const parts = partRequests(log).sort((a, b) =>
            Number(a.query.get("partNumber")) -
            Number(b.query.get("partNumber"))
          );
          assert.deepEqual(parts.map((p) => p.query.get("partNumber")), [
            "1",
            "2",
            "3",
          ]);
          for (const [index, part] of parts.entries()) {
            const bytes = body.subarray(index * PART, (index + 1) * PART);
            const checksum = crcHeader(crc32(bytes));
            assert.equal(part.headers.get("x-amz-checksum-crc32"), checksum);
            assert.equal(crcHeader(part.bodyCrc32), checksum);
            assert.equal(
              part.headers.get("x-amz-sdk-checksum-algorithm"),
              "CRC32",
            );
            assert.equal(
              part.headers.get("x-amz-content-sha256"),
              signed ? sha256Hex(bytes) : "UNSIGNED-PAYLOAD",
            );
            assert.equal(part.status, 200);
          }
        },
      );
    },
  );
}

Deno.test("uploadToS3() sends a single PutObject's CRC-32, unsigned with payloadSigning never and signed by default over plain HTTP", async () => {
  const body = randomBody(MIB);
  for (
    const [mode, sha] of [
      ["never", "UNSIGNED-PAYLOAD"],
      [undefined, sha256Hex(body)],
    ] as const
  ) {
    await throughProxy(
      body,
      mode === undefined ? {} : { payloadSigning: mode },
      () => {},
      async ({ client, bucket, log, error }) => {
        assert.equal(error, undefined, `the upload failed: ${error}`);
        assert.equal(await objectSha256(client, bucket, KEY), sha256Hex(body));
        const puts = log.filter(isPutObject);
        assert.equal(puts.length, 1);
        assert.equal(
          puts[0]!.headers.get("x-amz-checksum-crc32"),
          crcHeader(crc32(body)),
        );
        assert.equal(puts[0]!.headers.get("x-amz-content-sha256"), sha);
      },
    );
  }
});

// ------------------------------------------------ what the SDK no longer hashes

/** Bytes the SDK fed its SHA-256 (payload hashes, canonical requests, HMAC keys). */
let sha256Bytes = 0;
/** Bytes the SDK fed its own CRC-32 for a flexible checksum. */
let crc32Bytes = 0;

/** The SDK's SHA-256 and HMAC-SHA-256, counting what they hash. */
class CountingSha256 {
  #secret: string | Uint8Array | undefined;
  #hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.#secret = secret === undefined || typeof secret === "string"
      ? secret
      : ArrayBuffer.isView(secret)
      ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)
      : new Uint8Array(secret);
    this.#hash = this.#fresh();
  }
  #fresh() {
    return this.#secret === undefined
      ? createHash("sha256")
      : createHmac("sha256", this.#secret);
  }
  update(data: Uint8Array | string): void {
    sha256Bytes += typeof data === "string" ? data.length : data.byteLength;
    this.#hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }
  reset(): void {
    this.#hash = this.#fresh();
  }
}

/** The SDK's CRC-32 for flexible checksums, counting what it hashes. */
class CountingCrc32 {
  #crc = 0;
  update(data: Uint8Array): void {
    crc32Bytes += data.byteLength;
    this.#crc = crc32(data, this.#crc);
  }
  digest(): Promise<Uint8Array> {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, this.#crc >>> 0);
    return Promise.resolve(bytes);
  }
  reset(): void {
    this.#crc = 0;
  }
}

Deno.test("uploadToS3() leaves the SDK no CRC-32 to compute, and no SHA-256 of a body unless payloadSigning says to sign it", async () => {
  const config = {
    sha256: CountingSha256,
    checksumAlgorithms: { CRC32: CountingCrc32 },
  } as S3ClientConfig;
  await withBucket(async (_, bucket) => {
    const client = localClient(config);
    try {
      const hashed: Record<string, { sha256: number; crc32: number }> = {};
      for (const mode of ["never", "always"] as const) {
        sha256Bytes = 0;
        crc32Bytes = 0;
        await uploadToS3(streamOf(randomBody(SIZE)), {
          client,
          bucket,
          key: `${KEY}.${mode}`,
          partSize: PART,
          payloadSigning: mode,
        });
        hashed[mode] = { sha256: sha256Bytes, crc32: crc32Bytes };
      }
      // Signing a request hashes its canonical form and derives keys with
      // HMAC: a few hundred bytes each, whatever the body.
      assert.equal(hashed.never!.crc32, 0);
      assert.ok(
        hashed.never!.sha256 < 64 * 1024,
        `SHA-256 hashed ${hashed.never!.sha256} bytes without payload signing`,
      );
      assert.equal(hashed.always!.crc32, 0);
      assert.ok(
        hashed.always!.sha256 >= SIZE,
        `SHA-256 hashed ${hashed.always!.sha256} bytes with payload signing`,
      );
    } finally {
      client.destroy();
    }
  });
});

// ------------------------------------------------------- echoed checksums

/** The calls that carried a body: UploadPart and PutObject, in order. */
function bodyCalls(s3: RecordingS3) {
  return s3.calls.filter((call) =>
    call.command === "UploadPart" || call.command === "PutObject"
  );
}

Deno.test("uploadToS3() gives every UploadPart and PutObject its CRC-32 as ChecksumCRC32", async () => {
  for (const size of [2 * FAKE_PART_SIZE + 100, 1000]) {
    const s3 = new RecordingS3();
    const source = patternStream(size);
    await uploadToS3(source.stream, fakeUploadOptions(s3));
    const bytes = source.bytes();
    const sent = bodyCalls(s3);
    assert.deepEqual(
      sent.map((
        call,
      ) => [call.input.ChecksumAlgorithm, call.input.ChecksumCRC32]),
      sent.map((_, index) => [
        "CRC32",
        crcHeader(
          crc32(
            bytes.subarray(
              index * FAKE_PART_SIZE,
              (index + 1) * FAKE_PART_SIZE,
            ),
          ),
        ),
      ]),
    );
    assert.equal(sent.length, size > FAKE_PART_SIZE ? 3 : 1);
  }
});

Deno.test("uploadToS3() with partChecksum none sends no checksum of its own and checks no echo", async () => {
  for (const size of [2 * FAKE_PART_SIZE + 100, 1000]) {
    const s3 = echoing(new RecordingS3(), 1, "AAAAAA==", 1);
    const source = patternStream(size);
    const result = await uploadToS3(
      source.stream,
      fakeUploadOptions(s3, { partChecksum: "none" }),
    );
    assert.equal(result.outcome, "stored");
    const sent = bodyCalls(s3);
    assert.deepEqual(
      sent.map((
        call,
      ) => [call.input.ChecksumAlgorithm, call.input.ChecksumCRC32]),
      sent.map(() => [undefined, undefined]),
    );
    assert.equal(sent.length, size > FAKE_PART_SIZE ? 3 : 1);
  }
  await assert.rejects(
    uploadToS3(
      patternStream(10).stream,
      // @ts-expect-error: not a checksum zipstream sends
      fakeUploadOptions(new RecordingS3(), { partChecksum: "md5" }),
    ),
    /expected option "partChecksum" to be "crc32" or "none" but got "md5"/,
  );
});

/** A fake whose UploadPart (or PutObject) answers echo `checksum` for part `partNumber`, `times` times. */
function echoing(
  s3: RecordingS3,
  partNumber: number,
  checksum: string,
  times: number,
): RecordingS3 {
  const original = s3.send.bind(s3);
  let left = times;
  s3.send = async (command, sendOptions) => {
    const answer = await original(command, sendOptions) as object;
    const input = command.input as { PartNumber?: number };
    const name = command.constructor.name;
    if (
      left > 0 &&
      ((name === "UploadPartCommand" && input.PartNumber === partNumber) ||
        (name === "PutObjectCommand" && partNumber === 1))
    ) {
      left--;
      return { ...answer, ChecksumCRC32: checksum };
    }
    return answer;
  };
  return s3;
}

Deno.test("uploadToS3() sends a part again when its answer echoes another checksum, then fails naming the part", async () => {
  const source = patternStream(3 * FAKE_PART_SIZE);
  const part2 = source.bytes().subarray(FAKE_PART_SIZE, 2 * FAKE_PART_SIZE);
  // Once: the part is sent again and the upload succeeds.
  const once = echoing(new RecordingS3(), 2, "AAAAAA==", 1);
  const result = await uploadToS3(
    source.stream,
    fakeUploadOptions(once, { retry: { ...retry, baseDelay: 0 } }),
  );
  assert.equal(result.size, 3 * FAKE_PART_SIZE);
  assert.equal(once.calls.filter((c) => c.partNumber === 2).length, 2);

  // Every time: the upload fails once the part's attempts are spent.
  const always = echoing(new RecordingS3(), 2, "AAAAAA==", Infinity);
  const error = await uploadToS3(
    patternStream(3 * FAKE_PART_SIZE).stream,
    fakeUploadOptions(always, { retry: { ...retry, baseDelay: 0 } }),
  ).then(() => undefined, (caught) => caught);
  assert.ok(
    error instanceof S3UploadError,
    `expected an S3UploadError: ${error}`,
  );
  assert.equal(error.partNumber, 2);
  assert.equal(
    error.message,
    `Cannot upload to s3://bucket/out.zip (upload ID upload-1): part 2 could not be uploaded: UploadPart failed after 3 attempts: PartChecksumMismatch: Part 2 was answered checksum CRC-32 AAAAAA== but the CRC-32 of its bytes is ${
      crcHeader(crc32(part2))
    }; the multipart upload was aborted`,
  );
  assert.equal(always.calls.filter((c) => c.partNumber === 2).length, 3);
  assert.deepEqual(always.pendingUploads(), []);
});

Deno.test("uploadToS3() sends a PutObject again when its answer echoes another checksum", async () => {
  const s3 = echoing(new RecordingS3(), 1, "AAAAAA==", 1);
  const result = await uploadToS3(
    patternStream(1000).stream,
    fakeUploadOptions(s3, { retry: { ...retry, baseDelay: 0 } }),
  );
  assert.equal(result.size, 1000);
  assert.deepEqual(s3.commands, ["PutObject", "PutObject", "HeadObject"]);
});

Deno.test("uploadToS3() retries a part whose answer from the local server carries a damaged checksum, and fails naming it when every answer does", async () => {
  const body = randomBody(SIZE);
  const damaged = {
    kind: "set-answer-header",
    name: "x-amz-checksum-crc32",
    value: "AAAAAA==",
  } as const;
  await throughProxy(
    body,
    {},
    (proxy) => proxy.inject(isUploadPart(2), damaged, 1),
    async ({ client, bucket, log, error }) => {
      assert.equal(error, undefined, `the upload failed: ${error}`);
      assert.equal(await objectSha256(client, bucket, KEY), sha256Hex(body));
      assert.deepEqual(
        partRequests(log, 2).map((entry) => entry.tamper),
        ["set-answer-header", undefined],
      );
    },
  );
  await throughProxy(
    body,
    {},
    (proxy) => proxy.inject(isUploadPart(2), damaged, 100),
    async ({ client, bucket, log, error }) => {
      assert.ok(
        error instanceof S3UploadError,
        `expected an S3UploadError: ${error}`,
      );
      assert.equal(error.partNumber, 2);
      assert.match(
        error.message,
        /: part 2 could not be uploaded: UploadPart failed after 3 attempts: PartChecksumMismatch: Part 2 was answered checksum CRC-32 AAAAAA== but the CRC-32 of its bytes is [A-Za-z0-9+/]{6}==; the multipart upload was aborted$/,
      );
      assert.equal(partRequests(log, 2).length, 3);
      assert.deepEqual(await pendingUploads(client, bucket, KEY), []);
    },
  );
});

// ------------------------------------------------------------- damaged bodies

const flipPart2 = { kind: "flip-body-byte", offset: 12345 } as const;

Deno.test("uploadToS3() sends a part again when the local server refuses its damaged body: the signed SHA-256 over plain HTTP by default, Content-MD5 with payloadSigning never", async () => {
  const body = randomBody(SIZE);
  for (
    const options of [{}, {
      payloadSigning: "never",
      contentMd5: true,
    }] as const
  ) {
    await throughProxy(
      body,
      options,
      (proxy) => proxy.inject(isUploadPart(2), flipPart2, 1),
      async ({ client, bucket, log, error }) => {
        assert.equal(error, undefined, `the upload failed: ${error}`);
        assert.equal(await objectSha256(client, bucket, KEY), sha256Hex(body));
        assert.deepEqual(
          partRequests(log, 2).map((entry) => [entry.tamper, entry.status]),
          [["flip-body-byte", 400], [undefined, 200]],
        );
      },
    );
  }
});

Deno.test("Swift's s3api stores a damaged part sent unsigned without Content-MD5: it ignores x-amz-checksum-crc32, which is why auto signs over plain HTTP", async () => {
  const body = randomBody(SIZE);
  await throughProxy(
    body,
    { payloadSigning: "never" },
    (proxy) => proxy.inject(isUploadPart(2), flipPart2, 1),
    async ({ client, bucket, log, error }) => {
      assert.equal(error, undefined, `the upload failed: ${error}`);
      const [part2] = partRequests(log, 2);
      assert.equal(part2!.status, 200);
      assert.notEqual(
        crcHeader(part2!.bodyCrc32),
        part2!.headers.get("x-amz-checksum-crc32"),
      );
      assert.notEqual(await objectSha256(client, bucket, KEY), sha256Hex(body));
    },
  );
});

/** `bench/_null_s3.ts` served from this process, over HTTPS when `tls` holds a certificate. */
async function withNullS3(
  tls: { cert: string; key: string } | undefined,
  fn: (endpoint: string, stats: () => Promise<NullS3Stats>) => Promise<void>,
): Promise<void> {
  const s3 = new NullS3("md5");
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    ...tls,
  }, s3.handle);
  const scheme = tls === undefined ? "http" : "https";
  try {
    await fn(
      `${scheme}://127.0.0.1:${server.addr.port}`,
      async () =>
        await (await s3.handle(new Request(`http://null${STATS_PATH}`)))
          .json() as NullS3Stats,
    );
  } finally {
    await server.shutdown();
  }
}

function nullS3Client(endpoint: string, config: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    maxAttempts: 1,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    ...config,
  });
}

Deno.test("uploadToS3() with payloadSigning never sends a part again when a server that checks x-amz-checksum-crc32 refuses its damaged body, and fails naming it when every body is damaged", async () => {
  await withNullS3(undefined, async (endpoint) => {
    for (const times of [1, 100]) {
      const proxy = new TamperProxy(endpoint);
      const client = nullS3Client(proxy.endpoint);
      proxy.inject(isUploadPart(2), flipPart2, times);
      try {
        const outcome = await uploadToS3(streamOf(randomBody(SIZE)), {
          client,
          bucket: "bench",
          key: KEY,
          partSize: PART,
          payloadSigning: "never",
          retry,
        }).then(() => undefined, (caught) => caught);
        const statuses = partRequests(proxy.log, 2).map((e) => e.status);
        if (times === 1) {
          assert.equal(outcome, undefined, `the upload failed: ${outcome}`);
          assert.deepEqual(statuses, [400, 200]);
        } else {
          assert.ok(
            outcome instanceof S3UploadError,
            `expected an S3UploadError: ${outcome}`,
          );
          assert.equal(outcome.partNumber, 2);
          assert.match(
            outcome.message,
            /: part 2 could not be uploaded: UploadPart failed after 3 attempts: BadDigest: The CRC32 you specified \([^)]+\) did not match the calculated checksum \([^)]+\); the multipart upload was aborted$/,
          );
          assert.deepEqual(statuses, [400, 400, 400]);
        }
        for (const entry of partRequests(proxy.log)) {
          assert.equal(
            entry.headers.get("x-amz-content-sha256"),
            "UNSIGNED-PAYLOAD",
          );
        }
      } finally {
        client.destroy();
        await proxy.close();
      }
    }
  });
});

Deno.test("uploadToS3() leaves the payload unsigned over HTTPS by default, and signs it with payloadSigning always", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "upload_cost_tls_" });
  try {
    const certificates = await makeCertificates(dir);
    const tls = {
      cert: Deno.readTextFileSync(certificates.cert),
      key: Deno.readTextFileSync(certificates.key),
    };
    await withNullS3(tls, async (endpoint, stats) => {
      const httpsAgent = new https.Agent({
        ca: Deno.readTextFileSync(certificates.ca),
        keepAlive: true,
      });
      const client = nullS3Client(endpoint, { requestHandler: { httpsAgent } });
      try {
        for (
          const [mode, signed] of [
            [undefined, 0],
            ["always", 3],
          ] as const
        ) {
          const before = await stats();
          await uploadToS3(streamOf(randomBody(SIZE)), {
            client,
            bucket: "bench",
            key: KEY,
            partSize: PART,
            ...(mode === undefined ? {} : { payloadSigning: mode }),
          });
          const after = await stats();
          assert.deepEqual(
            {
              signed: after.payload.signed - before.payload.signed,
              unsigned: after.payload.unsigned - before.payload.unsigned,
              crc32: after.checksumCrc32 - before.checksumCrc32,
            },
            { signed, unsigned: 3 - signed, crc32: 3 },
          );
        }
      } finally {
        client.destroy();
        httpsAgent.destroy();
      }
    });
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------- the option

Deno.test("uploadToS3() refuses a payloadSigning that is not auto, always or never", async () => {
  const s3 = new RecordingS3();
  await assert.rejects(
    uploadToS3(
      patternStream(10).stream,
      fakeUploadOptions(s3, {
        payloadSigning: "sometimes" as UploadOptions["payloadSigning"],
      }),
    ),
    {
      name: "TypeError",
      message:
        'Cannot upload to s3://bucket/out.zip: expected option "payloadSigning" to be one of "auto", "always", "never" but got "sometimes"',
    },
  );
  assert.deepEqual(s3.commands, []);
});
