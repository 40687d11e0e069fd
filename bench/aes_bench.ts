/**
 * WinZip AES-256 encryption of 1 MiB chunks: the encryptor on the native
 * engine (`node:crypto` AES-256-ECB keystream batches and HMAC-SHA1), on the
 * portable engine (TypeScript AES and SHA-1, browsers), each half of the
 * portable engine alone, and, as a ceiling, `node:crypto`'s own AES-256-CTR
 * plus HMAC-SHA1 (a big-endian counter, so not WinZip's bytes).
 *
 *     deno bench -A bench/aes_bench.ts
 *
 * MB/s = 1.048576 / (time per iteration in ms) × 1000.
 *
 * @module
 */

import { createCipheriv, createHmac } from "node:crypto";
import * as nodeCrypto from "node:crypto";
import { WinZipAesEncryptor } from "../src/zip/_winzip_aes.ts";
import { WinZipAesCtr } from "../src/zip/_winzip_aes_ctr.ts";
import {
  nativeAesEngine,
  type NativeCrypto,
  portableAesEngine,
} from "../src/zip/_winzip_aes_engine.ts";
import { HmacSha1 } from "../src/zip/_winzip_aes_hmac_sha1.ts";
import { deriveWinZipKeys } from "../src/zip/_winzip_aes_keys.ts";
import { randomBytes } from "./_inputs.ts";

const CHUNK = randomBytes(1024 * 1024);
const keys = await deriveWinZipKeys(
  new TextEncoder().encode("password"),
  new Uint8Array(16),
);
const native = nativeAesEngine(nodeCrypto as unknown as NativeCrypto);
const group = "WinZip AES-256 of a 1 MiB chunk";
let sink = 0;

const nativeEncryptor = new WinZipAesEncryptor(keys, native);
Deno.bench({
  group,
  name: "native engine (node:crypto ECB keystream + HMAC)",
  baseline: true,
  fn: () => {
    sink ^= nativeEncryptor.update(CHUNK)[0]!;
  },
});

const portableEncryptor = new WinZipAesEncryptor(keys, portableAesEngine);
Deno.bench({
  group,
  name: "portable engine (TypeScript AES + HMAC-SHA1)",
  fn: () => {
    sink ^= portableEncryptor.update(CHUNK)[0]!;
  },
});

const portableCtr = new WinZipAesCtr(
  portableAesEngine.keystream(keys.encryptionKey),
);
Deno.bench({
  group,
  name: "portable AES-CTR alone",
  fn: () => {
    sink ^= portableCtr.transform(CHUNK)[0]!;
  },
});

const portableHmac = new HmacSha1(keys.authenticationKey);
Deno.bench({
  group,
  name: "portable HMAC-SHA1 alone",
  fn: () => {
    portableHmac.update(CHUNK);
  },
});

const ctr = createCipheriv(
  "aes-256-ctr",
  keys.encryptionKey,
  new Uint8Array(16),
);
const hmac = createHmac("sha1", keys.authenticationKey);
Deno.bench({
  group,
  name: "ceiling: node:crypto AES-256-CTR + HMAC (not WinZip's counter)",
  fn: () => {
    const encrypted = ctr.update(CHUNK);
    hmac.update(encrypted);
    sink ^= encrypted[0]!;
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === 0.5) console.log(sink);
});
