/**
 * A null S3 endpoint for measuring what an upload costs the client: just
 * enough of the S3 API on 127.0.0.1 for a multipart upload and a PutObject
 * to succeed with the AWS SDK, reading every body and keeping none of it.
 *
 *     deno run -A bench/_null_s3.ts --etag md5      # prints http://127.0.0.1:PORT
 *     deno run -A bench/_null_s3.ts --etag opaque   # ETags as under SSE-KMS
 *     deno run -A bench/_null_s3.ts --cert leaf.pem --key leaf.key   # https://
 *
 * Run it as a process of its own: the hashing it does (MD5 ETags, checking
 * the checksums a request declares) costs its CPU, not the client's.
 *
 * What it implements, path-style (`/bucket/key`), any bucket:
 * CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload, ListParts, ListMultipartUploads, PutObject,
 * HeadObject. It checks no signature. Like S3 it checks `Content-MD5` and
 * `x-amz-checksum-crc32` when a request carries them (BadDigest otherwise),
 * answers the part's `x-amz-checksum-crc32`, and refuses a completion that
 * names a part it does not hold (InvalidPart). It does not decode
 * `aws-chunked` bodies: such a request is refused (NotImplemented) rather
 * than counted wrong.
 *
 * ETags (`--etag`):
 * - `md5`: a part's or a PutObject's ETag is the MD5 of its bytes, and a
 *   multipart object's the MD5 of its parts' binary MD5s, a dash and the part
 *   count, as S3 answers without SSE-KMS.
 * - `opaque`: random-looking ETags (also with a dash and the part count on
 *   completion) and `x-amz-server-side-encryption: aws:kms` on every answer,
 *   as S3 answers under SSE-KMS: a client cannot check these ETags against
 *   its bytes.
 *
 * `GET /_null_s3/stats` answers JSON counters of what clients sent (requests
 * by operation, how payloads were signed, which checksums came with them);
 * `_null_s3` cannot be a bucket name.
 *
 * `NullS3` can also be served from another program (`Deno.serve(..., new
 * NullS3("md5").handle)`), as `tests/s3/upload_cost_test.ts` does for a
 * server that checks `x-amz-checksum-crc32`; `makeCertificates` makes a
 * throwaway CA and a certificate for 127.0.0.1 for its `--cert` / `--key`.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { crc32 } from "node:zlib";

/** How the server makes ETags. */
export type EtagMode = "md5" | "opaque";

/** What clients have sent so far, as `GET /_null_s3/stats` answers it. */
export interface NullS3Stats {
  /** Requests by S3 operation. */
  operations: Record<string, number>;
  /** Bodies read (UploadPart and PutObject), in bytes. */
  bodyBytes: number;
  /**
   * UploadPart and PutObject requests by their `x-amz-content-sha256`: a
   * SHA-256, `UNSIGNED-PAYLOAD`, a `STREAMING-*` value, or none at all.
   */
  payload: {
    signed: number;
    unsigned: number;
    streaming: number;
    none: number;
  };
  /** UploadPart and PutObject requests that carried `x-amz-checksum-crc32`. */
  checksumCrc32: number;
  /** ... that carried another `x-amz-checksum-*` header. */
  checksumOther: number;
  /** ... that carried `Content-MD5`. */
  contentMd5: number;
}

/** The stats path; not a valid bucket name, so never an S3 request. */
export const STATS_PATH = "/_null_s3/stats";

interface StoredPart {
  etag: string;
  size: number;
  /** The binary MD5 of the bytes, in `md5` mode. */
  md5: Uint8Array | undefined;
  crc32: string | undefined;
  lastModified: Date;
}

interface Upload {
  bucket: string;
  key: string;
  initiated: Date;
  parts: Map<number, StoredPart>;
}

interface StoredObject {
  etag: string;
  size: number;
  lastModified: Date;
}

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';
const S3_NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/";

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A CRC-32 as S3 writes it in `x-amz-checksum-crc32`: base64 of 4 big-endian bytes. */
function crc32Header(value: number): string {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, false);
  return btoa(String.fromCharCode(...bytes));
}

/** An S3 error answer. */
function s3Error(
  status: number,
  code: string,
  message: string,
  headers: HeadersInit = {},
  method = "GET",
): Response {
  // HEAD answers carry no body; the SDK reads the status alone.
  const body = method === "HEAD"
    ? null
    : `${XML_HEADER}<Error><Code>${code}</Code><Message>${
      escapeXml(message)
    }</Message><RequestId>${randomHex(8)}</RequestId></Error>`;
  return new Response(body, {
    status,
    headers: { "content-type": "application/xml", ...headers },
  });
}

function xml(body: string, headers: HeadersInit = {}): Response {
  return new Response(XML_HEADER + body, {
    headers: { "content-type": "application/xml", ...headers },
  });
}

/** What a body was found to be, once read to the end. */
interface ReadBody {
  size: number;
  md5: Uint8Array | undefined;
  crc32: number | undefined;
}

/** The null S3 endpoint's state and request handling. */
export class NullS3 {
  #mode: EtagMode;
  #uploads = new Map<string, Upload>();
  #objects = new Map<string, StoredObject>();
  #stats: NullS3Stats = {
    operations: {},
    bodyBytes: 0,
    payload: { signed: 0, unsigned: 0, streaming: 0, none: 0 },
    checksumCrc32: 0,
    checksumOther: 0,
    contentMd5: 0,
  };

  constructor(mode: EtagMode) {
    this.#mode = mode;
  }

  /** Headers every answer carries in this mode. */
  get #sseHeaders(): Record<string, string> {
    return this.#mode === "opaque"
      ? { "x-amz-server-side-encryption": "aws:kms" }
      : {};
  }

  /** Answers one request. */
  handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    if (url.pathname === STATS_PATH) return Response.json(this.#stats);
    const [, bucket = "", ...rest] = url.pathname.split("/");
    const key = decodeURIComponent(rest.join("/"));
    const query = url.searchParams;
    const method = request.method;
    const operation = this.#operation(method, key, query);
    this.#stats.operations[operation] =
      (this.#stats.operations[operation] ?? 0) + 1;
    try {
      switch (operation) {
        case "CreateMultipartUpload":
          return this.#create(bucket, key);
        case "UploadPart":
          return await this.#uploadPart(request, query);
        case "CompleteMultipartUpload":
          return await this.#complete(request, bucket, key, query);
        case "AbortMultipartUpload":
          return this.#abort(query);
        case "ListParts":
          return this.#listParts(bucket, key, query);
        case "ListMultipartUploads":
          return this.#listUploads(bucket, query);
        case "PutObject":
          return await this.#putObject(request, bucket, key);
        case "HeadObject":
          return this.#headObject(bucket, key);
        case "CreateBucket":
          return new Response(null, { status: 200 });
        default:
          await request.body?.cancel();
          return s3Error(
            501,
            "NotImplemented",
            `The null S3 server does not implement ${method} ${url.pathname}${url.search}`,
            {},
            method,
          );
      }
    } catch (error) {
      if (error instanceof Response) return error;
      throw error;
    }
  };

  #operation(method: string, key: string, query: URLSearchParams): string {
    if (key === "") {
      if (method === "PUT") return "CreateBucket";
      if (method === "GET" && query.has("uploads")) {
        return "ListMultipartUploads";
      }
      return `${method} bucket`;
    }
    if (method === "POST" && query.has("uploads")) {
      return "CreateMultipartUpload";
    }
    if (method === "POST" && query.has("uploadId")) {
      return "CompleteMultipartUpload";
    }
    if (method === "PUT" && query.has("partNumber") && query.has("uploadId")) {
      return "UploadPart";
    }
    if (method === "DELETE" && query.has("uploadId")) {
      return "AbortMultipartUpload";
    }
    if (method === "GET" && query.has("uploadId")) return "ListParts";
    if (method === "PUT" && !query.has("uploadId")) return "PutObject";
    if (method === "HEAD") return "HeadObject";
    return `${method} object`;
  }

  #upload(query: URLSearchParams): Upload {
    const uploadId = query.get("uploadId") ?? "";
    const upload = this.#uploads.get(uploadId);
    if (upload === undefined) {
      throw s3Error(
        404,
        "NoSuchUpload",
        `The specified upload ${uploadId} does not exist`,
      );
    }
    return upload;
  }

  #create(bucket: string, key: string): Response {
    const uploadId = randomHex(16);
    this.#uploads.set(uploadId, {
      bucket,
      key,
      initiated: new Date(),
      parts: new Map(),
    });
    return xml(
      `<InitiateMultipartUploadResult xmlns="${S3_NAMESPACE}"><Bucket>${
        escapeXml(bucket)
      }</Bucket><Key>${
        escapeXml(key)
      }</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
      this.#sseHeaders,
    );
  }

  /**
   * Reads a request body to the end, counting it, hashing it with MD5 when
   * the ETag or a `Content-MD5` needs that, and with CRC-32 when the request
   * declares one; then checks what it declared.
   */
  async #readBody(request: Request): Promise<ReadBody> {
    const headers = request.headers;
    const sha256 = headers.get("x-amz-content-sha256") ?? "";
    const encoding = headers.get("content-encoding") ?? "";
    if (sha256 === "") this.#stats.payload.none++;
    else if (sha256.startsWith("STREAMING-")) this.#stats.payload.streaming++;
    else if (sha256 === "UNSIGNED-PAYLOAD") this.#stats.payload.unsigned++;
    else this.#stats.payload.signed++;
    if (encoding.includes("aws-chunked") || sha256.startsWith("STREAMING-")) {
      await request.body?.cancel();
      throw s3Error(
        501,
        "NotImplemented",
        "The null S3 server does not decode aws-chunked bodies",
      );
    }
    const declaredCrc = headers.get("x-amz-checksum-crc32");
    const contentMd5 = headers.get("content-md5");
    if (declaredCrc !== null) this.#stats.checksumCrc32++;
    for (const name of headers.keys()) {
      if (
        name.startsWith("x-amz-checksum-") && name !== "x-amz-checksum-crc32" &&
        name !== "x-amz-checksum-algorithm" && name !== "x-amz-checksum-type"
      ) this.#stats.checksumOther++;
    }
    if (contentMd5 !== null) this.#stats.contentMd5++;

    const md5 = this.#mode === "md5" || contentMd5 !== null
      ? createHash("md5")
      : undefined;
    let crc = declaredCrc === null ? undefined : 0;
    let size = 0;
    if (request.body !== null) {
      for await (const chunk of request.body) {
        size += chunk.byteLength;
        md5?.update(chunk);
        if (crc !== undefined) crc = crc32(chunk, crc);
      }
    }
    this.#stats.bodyBytes += size;
    const digest = md5 === undefined ? undefined : new Uint8Array(md5.digest());
    if (contentMd5 !== null && digest !== undefined) {
      const sent = btoa(String.fromCharCode(...digest));
      if (sent !== contentMd5) {
        throw s3Error(
          400,
          "BadDigest",
          `The Content-MD5 you specified (${contentMd5}) did not match what we received (${sent})`,
        );
      }
    }
    if (declaredCrc !== null && crc !== undefined) {
      const received = crc32Header(crc);
      if (received !== declaredCrc) {
        throw s3Error(
          400,
          "BadDigest",
          `The CRC32 you specified (${declaredCrc}) did not match the calculated checksum (${received})`,
        );
      }
    }
    return { size, md5: digest, crc32: crc };
  }

  #etagOf(body: ReadBody): string {
    return this.#mode === "md5" && body.md5 !== undefined
      ? toHex(body.md5)
      : randomHex(16);
  }

  async #uploadPart(
    request: Request,
    query: URLSearchParams,
  ): Promise<Response> {
    const partNumber = Number(query.get("partNumber"));
    if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10000) {
      await request.body?.cancel();
      return s3Error(
        400,
        "InvalidArgument",
        `Part number must be an integer between 1 and 10000, inclusive; received ${
          query.get("partNumber")
        }`,
      );
    }
    let upload: Upload;
    try {
      upload = this.#upload(query);
    } catch (error) {
      await request.body?.cancel();
      throw error;
    }
    const body = await this.#readBody(request);
    const etag = this.#etagOf(body);
    const crc = body.crc32 === undefined ? undefined : crc32Header(body.crc32);
    upload.parts.set(partNumber, {
      etag,
      size: body.size,
      md5: body.md5,
      crc32: crc,
      lastModified: new Date(),
    });
    return new Response(null, {
      headers: {
        etag: `"${etag}"`,
        ...(crc === undefined ? {} : { "x-amz-checksum-crc32": crc }),
        ...this.#sseHeaders,
      },
    });
  }

  async #complete(
    request: Request,
    bucket: string,
    key: string,
    query: URLSearchParams,
  ): Promise<Response> {
    const text = await request.text();
    const upload = this.#upload(query);
    const listed = [...text.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(
      ([, part]) => ({
        partNumber: Number(/<PartNumber>(\d+)<\/PartNumber>/.exec(part!)?.[1]),
        etag: /<ETag>([\s\S]*?)<\/ETag>/.exec(part!)?.[1]
          ?.replaceAll("&quot;", '"').replaceAll("&#34;", '"')
          .replace(/^"|"$/g, ""),
      }),
    );
    if (listed.length === 0) {
      return s3Error(
        400,
        "MalformedXML",
        "The XML you provided names no parts",
      );
    }
    let previous = 0;
    let size = 0;
    const digests: Uint8Array[] = [];
    for (const { partNumber, etag } of listed) {
      const part = upload.parts.get(partNumber);
      if (partNumber <= previous) {
        return s3Error(
          400,
          "InvalidPartOrder",
          "The list of parts was not in ascending order",
        );
      }
      if (part === undefined || part.etag !== etag) {
        return s3Error(
          400,
          "InvalidPart",
          `Part ${partNumber} with ETag ${etag} was not uploaded to ${
            query.get("uploadId")
          }`,
        );
      }
      previous = partNumber;
      size += part.size;
      if (part.md5 !== undefined) digests.push(part.md5);
    }
    let etag: string;
    if (this.#mode === "md5") {
      const joined = new Uint8Array(digests.length * 16);
      digests.forEach((digest, index) => joined.set(digest, index * 16));
      etag = `${
        createHash("md5").update(joined).digest("hex")
      }-${listed.length}`;
    } else {
      etag = `${randomHex(16)}-${listed.length}`;
    }
    this.#uploads.delete(query.get("uploadId")!);
    this.#objects.set(`${bucket}/${key}`, {
      etag,
      size,
      lastModified: new Date(),
    });
    return xml(
      `<CompleteMultipartUploadResult xmlns="${S3_NAMESPACE}"><Location>${
        escapeXml(new URL(request.url).origin)
      }/${escapeXml(bucket)}/${escapeXml(key)}</Location><Bucket>${
        escapeXml(bucket)
      }</Bucket><Key>${
        escapeXml(key)
      }</Key><ETag>"${etag}"</ETag></CompleteMultipartUploadResult>`,
      this.#sseHeaders,
    );
  }

  #abort(query: URLSearchParams): Response {
    this.#upload(query);
    this.#uploads.delete(query.get("uploadId")!);
    return new Response(null, { status: 204 });
  }

  #listParts(bucket: string, key: string, query: URLSearchParams): Response {
    const upload = this.#upload(query);
    const marker = Number(query.get("part-number-marker") ?? "0");
    const parts = [...upload.parts.entries()]
      .filter(([number]) => number > marker)
      .sort(([a], [b]) => a - b)
      .map(([number, part]) =>
        `<Part><PartNumber>${number}</PartNumber><LastModified>${part.lastModified.toISOString()}</LastModified><ETag>"${part.etag}"</ETag><Size>${part.size}</Size>${
          part.crc32 === undefined
            ? ""
            : `<ChecksumCRC32>${part.crc32}</ChecksumCRC32>`
        }</Part>`
      );
    return xml(
      `<ListPartsResult xmlns="${S3_NAMESPACE}"><Bucket>${
        escapeXml(bucket)
      }</Bucket><Key>${escapeXml(key)}</Key><UploadId>${
        query.get("uploadId")
      }</UploadId><PartNumberMarker>${marker}</PartNumberMarker><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${
        parts.join("")
      }</ListPartsResult>`,
      this.#sseHeaders,
    );
  }

  #listUploads(bucket: string, query: URLSearchParams): Response {
    const prefix = query.get("prefix") ?? "";
    const uploads = [...this.#uploads.entries()]
      .filter(([, u]) => u.bucket === bucket && u.key.startsWith(prefix))
      .map(([uploadId, u]) =>
        `<Upload><Key>${
          escapeXml(u.key)
        }</Key><UploadId>${uploadId}</UploadId><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`
      );
    return xml(
      `<ListMultipartUploadsResult xmlns="${S3_NAMESPACE}"><Bucket>${
        escapeXml(bucket)
      }</Bucket><Prefix>${
        escapeXml(prefix)
      }</Prefix><IsTruncated>false</IsTruncated>${
        uploads.join("")
      }</ListMultipartUploadsResult>`,
    );
  }

  async #putObject(
    request: Request,
    bucket: string,
    key: string,
  ): Promise<Response> {
    const body = await this.#readBody(request);
    const etag = this.#etagOf(body);
    this.#objects.set(`${bucket}/${key}`, {
      etag,
      size: body.size,
      lastModified: new Date(),
    });
    return new Response(null, {
      headers: {
        etag: `"${etag}"`,
        ...(body.crc32 === undefined
          ? {}
          : { "x-amz-checksum-crc32": crc32Header(body.crc32) }),
        ...this.#sseHeaders,
      },
    });
  }

  #headObject(bucket: string, key: string): Response {
    const object = this.#objects.get(`${bucket}/${key}`);
    if (object === undefined) {
      return s3Error(404, "NotFound", "Not Found", {}, "HEAD");
    }
    return new Response(null, {
      headers: {
        "content-length": String(object.size),
        "content-type": "application/octet-stream",
        etag: `"${object.etag}"`,
        "last-modified": object.lastModified.toUTCString(),
        ...this.#sseHeaders,
      },
    });
  }
}

/** A certificate authority and a certificate it signed for 127.0.0.1, in `dir`. */
export interface Certificates {
  ca: string;
  cert: string;
  key: string;
}

/** Makes a throwaway CA and a server certificate for 127.0.0.1 with `openssl`. */
export async function makeCertificates(dir: string): Promise<Certificates> {
  const run = async (...args: string[]) => {
    const { code, stderr } = await new Deno.Command("openssl", {
      args,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(
        `Cannot make a certificate for --tls: openssl ${
          args[0]
        } exited with ${code}: ${
          new TextDecoder().decode(stderr).trim().slice(0, 300)
        }`,
      );
    }
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    "1",
    "-subj",
    "/CN=upload_cpu bench CA",
  );
  await run(
    "req",
    ...ec,
    "-keyout",
    `${dir}/leaf.key`,
    "-out",
    `${dir}/leaf.csr`,
    "-subj",
    "/CN=127.0.0.1",
  );
  Deno.writeTextFileSync(
    `${dir}/leaf.cnf`,
    "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
  );
  await run(
    "x509",
    "-req",
    "-in",
    `${dir}/leaf.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-CAcreateserial",
    "-out",
    `${dir}/leaf.pem`,
    "-days",
    "1",
    "-extfile",
    `${dir}/leaf.cnf`,
  );
  return {
    ca: `${dir}/ca.pem`,
    cert: `${dir}/leaf.pem`,
    key: `${dir}/leaf.key`,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      etag: { type: "string", default: "md5" },
      port: { type: "string", default: "0" },
      cert: { type: "string" },
      key: { type: "string" },
    },
  });
  if ((values.cert === undefined) !== (values.key === undefined)) {
    throw new TypeError(
      "Cannot start the null S3 server over TLS: expected both --cert and --key",
    );
  }
  if (values.etag !== "md5" && values.etag !== "opaque") {
    throw new TypeError(
      `Cannot start the null S3 server: expected --etag md5 or opaque, received "${values.etag}"`,
    );
  }
  const server = new NullS3(values.etag);
  const tls = values.cert !== undefined && values.key !== undefined
    ? {
      cert: Deno.readTextFileSync(values.cert),
      key: Deno.readTextFileSync(values.key),
    }
    : {};
  const scheme = values.cert === undefined ? "http" : "https";
  Deno.serve({
    hostname: "127.0.0.1",
    port: Number(values.port),
    ...tls,
    onListen: ({ hostname, port }) =>
      console.log(`${scheme}://${hostname}:${port}`),
  }, server.handle);
}
