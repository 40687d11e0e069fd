import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import fc from "fast-check";
import { Aes256 } from "../../src/zip/_aes256.ts";
import {
  pbkdf2HmacSha1,
  pbkdf2HmacSha1Portable,
} from "../../src/zip/_pbkdf2.ts";
import {
  verifierMatches,
  WINZIP_AES_256_OVERHEAD,
  WINZIP_AES_AUTH_CODE_LENGTH,
  WinZipAesDecryptor,
  WinZipAesEncryptor,
} from "../../src/zip/_winzip_aes.ts";
import {
  defaultAesEngine,
  nativeAesEngine,
  type NativeCrypto,
  portableAesEngine,
  type WinZipAesEngine,
} from "../../src/zip/_winzip_aes_engine.ts";
import { HmacSha1, sha1 } from "../../src/zip/_winzip_aes_hmac_sha1.ts";
import {
  deriveWinZipKeys,
  randomWinZipSalt,
  type WinZipKeys,
} from "../../src/zip/_winzip_aes_keys.ts";
import * as nodeCrypto from "node:crypto";

const encode = (text: string) => new TextEncoder().encode(text);
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
const fromHex = (text: string) =>
  Uint8Array.from(text.match(/../g) ?? [], (pair) => parseInt(pair, 16));
const filled = (length: number, byte: number) =>
  new Uint8Array(length).fill(byte);
const randomBytes = (length: number) => {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65536));
  }
  return bytes;
};

const native = nativeAesEngine(nodeCrypto as unknown as NativeCrypto);
const ENGINES: WinZipAesEngine[] = [native, portableAesEngine];

// RFC 6070 section 2 (the 16,777,216-iteration vector is left out: it takes
// seconds and tests nothing the 4,096-iteration ones do not).
const PBKDF2_VECTORS = [
  ["password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6"],
  ["password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"],
  ["password", "salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1"],
  [
    "passwordPASSWORDpassword",
    "saltSALTsaltSALTsaltSALTsaltSALTsalt",
    4096,
    25,
    "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038",
  ],
  ["pass\0word", "sa\0lt", 4096, 16, "56fa6aa75548099dcc37d7f03425e0c3"],
] as const;

Deno.test("pbkdf2HmacSha1() gives the RFC 6070 vectors through WebCrypto and portably", async () => {
  for (const [password, salt, iterations, length, expected] of PBKDF2_VECTORS) {
    const args = [encode(password), encode(salt), iterations, length] as const;
    assert.equal(hex(await pbkdf2HmacSha1(...args)), expected, password);
    assert.equal(hex(pbkdf2HmacSha1Portable(...args)), expected, password);
  }
});

Deno.test("pbkdf2HmacSha1() rejects an iteration count of 0", async () => {
  await assert.rejects(
    pbkdf2HmacSha1(encode("p"), encode("s"), 0, 20),
    new RangeError(
      "Cannot derive a PBKDF2 key: expected an iteration count from 1 to 4294967295 but received 0",
    ),
  );
});

Deno.test("Aes256 encrypts the FIPS-197 Appendix C.3 block", () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const block = fromHex("00112233445566778899aabbccddeeff");
  const output = new Uint8Array(16);
  new Aes256(key).encryptBlock(block, 0, output, 0);
  assert.equal(hex(output), "8ea2b7ca516745bfeafc49904b496089");
});

Deno.test("Aes256 agrees with node:crypto AES-256-ECB on random keys and blocks", () => {
  for (let round = 0; round < 50; round++) {
    const key = randomBytes(32);
    const blocks = randomBytes(16 * 8);
    const cipher = createCipheriv("aes-256-ecb", key, null);
    cipher.setAutoPadding(false);
    const expected = cipher.update(blocks);
    const aes = new Aes256(key);
    const output = new Uint8Array(blocks.length);
    for (let i = 0; i < blocks.length; i += 16) {
      aes.encryptBlock(blocks, i, output, i);
    }
    assert.equal(hex(output), hex(expected));
  }
});

Deno.test("Aes256 rejects a key that is not 32 bytes", () => {
  assert.throws(
    () => new Aes256(new Uint8Array(16)),
    new RangeError(
      "Cannot expand an AES-256 key: expected 32 bytes but received 16",
    ),
  );
});

Deno.test("sha1() gives the FIPS 180 and empty-message digests", () => {
  assert.equal(
    hex(sha1(encode(""))),
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
  );
  assert.equal(
    hex(sha1(encode("abc"))),
    "a9993e364706816aba3e25717850c26c9cd0d89d",
  );
  assert.equal(
    hex(
      sha1(encode("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
    ),
    "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
  );
  assert.equal(
    hex(sha1(filled(1_000_000, 0x61))),
    "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
  );
});

// RFC 2202 section 3.
const HMAC_VECTORS: [Uint8Array, Uint8Array, string][] = [
  [
    filled(20, 0x0b),
    encode("Hi There"),
    "b617318655057264e28bc0b6fb378c8ef146be00",
  ],
  [
    encode("Jefe"),
    encode("what do ya want for nothing?"),
    "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
  ],
  [
    filled(20, 0xaa),
    filled(50, 0xdd),
    "125d7342b9ac11cd91a39af48aa17b4f63f175d3",
  ],
  [
    Uint8Array.from({ length: 25 }, (_, i) => i + 1),
    filled(50, 0xcd),
    "4c9007f4026250c6bc8414f9bf50c86c2d7235da",
  ],
  [
    filled(20, 0x0c),
    encode("Test With Truncation"),
    "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04",
  ],
  [
    filled(80, 0xaa),
    encode("Test Using Larger Than Block-Size Key - Hash Key First"),
    "aa4ae5e15272d00e95705637ce8a3b55ed402112",
  ],
  [
    filled(80, 0xaa),
    encode(
      "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
    ),
    "e8e99d0f45237d786d6bbaa7965c7808bbff1a91",
  ],
];

Deno.test("HMAC-SHA1 gives the RFC 2202 vectors in both engines, whole and byte by byte", () => {
  for (const [key, data, expected] of HMAC_VECTORS) {
    for (const engine of ENGINES) {
      const whole = engine.hmacSha1(key);
      whole.update(data);
      assert.equal(hex(whole.digest()), expected, engine.name);
      const bytewise = engine.hmacSha1(key);
      for (let i = 0; i < data.length; i++) {
        bytewise.update(data.subarray(i, i + 1));
      }
      assert.equal(hex(bytewise.digest()), expected, engine.name);
    }
  }
});

Deno.test("HmacSha1 agrees with node:crypto across block boundaries", () => {
  const data = randomBytes(1000);
  for (const length of [0, 1, 54, 55, 56, 63, 64, 65, 119, 120, 128, 1000]) {
    const expected = nodeCrypto.createHmac("sha1", "key").update(
      data.subarray(0, length),
    ).digest("hex");
    const actual = new HmacSha1(encode("key")).update(
      data.subarray(0, length),
    ).digest();
    assert.equal(hex(actual), expected, `length ${length}`);
  }
});

Deno.test("the default engine under Deno is node:crypto", () => {
  assert.equal(defaultAesEngine.name, "native");
});

Deno.test("without node:crypto the default engine is portable and gives the same bytes", async () => {
  const engineUrl = new URL(
    "../../src/zip/_winzip_aes_engine.ts",
    import.meta.url,
  );
  const aesUrl = new URL("../../src/zip/_winzip_aes.ts", import.meta.url);
  // A browser has no `process`: remove it before the engine module loads.
  const script = `
    delete globalThis.process;
    const { defaultAesEngine } = await import(${
    JSON.stringify(engineUrl.href)
  });
    const { WinZipAesEncryptor } = await import(${JSON.stringify(aesUrl.href)});
    const keys = {
      encryptionKey: new Uint8Array(32).fill(1),
      authenticationKey: new Uint8Array(32).fill(2),
      verifier: new Uint8Array(2),
    };
    const encryptor = new WinZipAesEncryptor(keys);
    const data = encryptor.update(new Uint8Array(1000).fill(3));
    const code = encryptor.finish();
    const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    console.log(JSON.stringify([defaultAesEngine.name, hex(data), hex(code)]));
  `;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=js", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const [name, data, code] = JSON.parse(
    new TextDecoder().decode(output.stdout),
  ) as string[];
  assert.equal(name, "portable");
  const expected = encrypt(
    {
      encryptionKey: filled(32, 1),
      authenticationKey: filled(32, 2),
      verifier: new Uint8Array(2),
    },
    [filled(1000, 3)],
    native,
  );
  assert.equal(data, hex(expected.data));
  assert.equal(code, hex(expected.authCode));
});

Deno.test("the engines make the same keystream, past 2^32 blocks too", () => {
  const key = randomBytes(32);
  for (const first of [1, 2 ** 32 - 2, 2 ** 40 + 7, 2 ** 53 - 4]) {
    assert.equal(
      hex(native.keystream(key).generate(first, 5)),
      hex(portableAesEngine.keystream(key).generate(first, 5)),
      `from counter ${first}`,
    );
  }
});

Deno.test("the WinZip counter is little-endian and starts at 1", () => {
  const key = randomBytes(32);
  const expected = new Uint8Array(48);
  const aes = new Aes256(key);
  for (const [i, counter] of [0x01, 0x02, 0x03].entries()) {
    const block = new Uint8Array(16);
    block[0] = counter;
    aes.encryptBlock(block, 0, expected, 16 * i);
  }
  const keys = {
    encryptionKey: key,
    authenticationKey: randomBytes(32),
    verifier: new Uint8Array(2),
  };
  for (const engine of ENGINES) {
    const keystream = new WinZipAesEncryptor(keys, engine).update(
      new Uint8Array(48),
    );
    assert.equal(hex(keystream), hex(expected), engine.name);
  }
});

Deno.test("deriveWinZipKeys() splits PBKDF2's 66 bytes into the two keys and the verifier", async () => {
  const password = encode("pässword");
  const salt = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
  const derived = await pbkdf2HmacSha1(password, salt, 1000, 66);
  const keys = await deriveWinZipKeys(password, salt);
  assert.equal(hex(keys.encryptionKey), hex(derived.subarray(0, 32)));
  assert.equal(hex(keys.authenticationKey), hex(derived.subarray(32, 64)));
  assert.equal(hex(keys.verifier), hex(derived.subarray(64)));
  assert.equal(
    hex(derived),
    nodeCrypto.pbkdf2Sync(password, salt, 1000, 66, "sha1").toString("hex"),
  );
  assert.ok(verifierMatches(keys, derived.subarray(64)));
});

Deno.test("deriveWinZipKeys() rejects a salt that is not 16 bytes", async () => {
  await assert.rejects(
    deriveWinZipKeys(encode("p"), new Uint8Array(8)),
    new RangeError(
      "Cannot derive WinZip AES-256 keys: expected a 16-byte salt but received 8 bytes",
    ),
  );
});

/** Splits `data` at the given cut points (taken modulo its length). */
function chunk(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))]
    .sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  return chunks;
}

function encrypt(
  keys: WinZipKeys,
  chunks: Uint8Array[],
  engine: WinZipAesEngine,
): { data: Uint8Array; authCode: Uint8Array } {
  const encryptor = new WinZipAesEncryptor(keys, engine);
  const parts = chunks.map((part) => encryptor.update(part));
  const data = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.length;
  }
  return { data, authCode: encryptor.finish() };
}

Deno.test("the native and portable encryptors agree on any data split any way", async () => {
  const keys = await deriveWinZipKeys(encode("password"), randomWinZipSalt());
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 3000 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (data, cutsA, cutsB) => {
        const whole = encrypt(keys, [data], native);
        const nativeSplit = encrypt(keys, chunk(data, cutsA), native);
        const portableSplit = encrypt(
          keys,
          chunk(data, cutsB),
          portableAesEngine,
        );
        assert.equal(hex(nativeSplit.data), hex(whole.data));
        assert.equal(hex(portableSplit.data), hex(whole.data));
        assert.equal(hex(nativeSplit.authCode), hex(whole.authCode));
        assert.equal(hex(portableSplit.authCode), hex(whole.authCode));
        assert.equal(whole.authCode.length, WINZIP_AES_AUTH_CODE_LENGTH);
        const expectedCode = nodeCrypto.createHmac(
          "sha1",
          keys.authenticationKey,
        )
          .update(whole.data).digest().subarray(0, 10);
        assert.equal(hex(whole.authCode), hex(expectedCode));
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("the engines agree on large unaligned chunks that cross keystream batches", async () => {
  const keys = await deriveWinZipKeys(encode("password"), randomWinZipSalt());
  const data = randomBytes(300_001);
  const sizes = [1, 65535, 3, 65537, 100_000, 7];
  const chunks: Uint8Array[] = [];
  for (let i = 0, s = 0; i < data.length; s++) {
    const size = sizes[s % sizes.length]!;
    chunks.push(data.subarray(i, i + size));
    i += size;
  }
  const a = encrypt(keys, chunks, native);
  const b = encrypt(keys, [data], portableAesEngine);
  assert.equal(hex(a.data), hex(b.data));
  assert.equal(hex(a.authCode), hex(b.authCode));
});

Deno.test("WinZipAesDecryptor() restores the data and checks the authentication code", async () => {
  const keys = await deriveWinZipKeys(encode("password"), randomWinZipSalt());
  const data = randomBytes(5000);
  for (const engine of ENGINES) {
    const { data: sealed, authCode } = encrypt(
      keys,
      chunk(data, [17, 1000]),
      engine,
    );
    const decryptor = new WinZipAesDecryptor(keys, engine);
    const opened = chunk(sealed, [5, 4999]).map((part) =>
      decryptor.update(part)
    );
    assert.equal(hex(new Uint8Array(opened.flatMap((p) => [...p]))), hex(data));
    decryptor.finish(authCode);

    const tampered = sealed.slice();
    tampered[1234] = tampered[1234]! ^ 1;
    const rejecting = new WinZipAesDecryptor(keys, engine);
    rejecting.update(tampered);
    const expected = hex(
      nodeCrypto.createHmac("sha1", keys.authenticationKey).update(tampered)
        .digest().subarray(0, 10),
    );
    assert.throws(
      () => rejecting.finish(authCode),
      new Error(
        `Cannot authenticate WinZip AES data: expected authentication code ${expected} but received ${
          hex(authCode)
        }`,
      ),
    );
  }
});

Deno.test("WinZipAesEncryptor refuses data after finish() and keys of the wrong length", () => {
  const keys = {
    encryptionKey: new Uint8Array(32),
    authenticationKey: new Uint8Array(32),
    verifier: new Uint8Array(2),
  };
  const encryptor = new WinZipAesEncryptor(keys);
  encryptor.finish();
  assert.throws(
    () => encryptor.update(new Uint8Array(1)),
    new TypeError(
      "Cannot encrypt more data: expected an unfinished entry but finish() was already called",
    ),
  );
  assert.throws(
    () => encryptor.finish(),
    new TypeError(
      "Cannot finish WinZip AES encryption: expected an unfinished entry but finish() was already called",
    ),
  );
  assert.throws(
    () =>
      new WinZipAesEncryptor({
        ...keys,
        authenticationKey: new Uint8Array(20),
      }),
    new RangeError(
      "Cannot start WinZip AES encryption: expected a 32-byte authenticationKey but received 20 bytes",
    ),
  );
});

// --- A hand-made one-entry archive, read by 7-Zip and bsdtar ---------------
// Test scaffolding only: the writer will build these records itself.

const NAME = "secret.bin";
/** APPNOTE 4.4.5: compression method 99 marks AE-x encryption. */
const METHOD_AES = 99;
/** APPNOTE 4.4.3: AES encryption needs version 5.1. */
const VERSION_AES = 51;
/** AE spec: the AES extra field (0x9901) and its 7 data bytes. */
const AES_EXTRA_ID = 0x9901;
const AES_EXTRA_DATA_LENGTH = 7;
/** AE-2: the CRC field is 0 and only the authentication code checks the data. */
const AE_2 = 2;
const AES_256_STRENGTH = 3;
const STORED = 0;

class Cursor {
  bytes: Uint8Array;
  #view: DataView;
  #offset = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
    this.#view = new DataView(this.bytes.buffer);
  }
  u8(value: number): this {
    this.#view.setUint8(this.#offset++, value);
    return this;
  }
  u16(value: number): this {
    this.#view.setUint16(this.#offset, value, true);
    this.#offset += 2;
    return this;
  }
  u32(value: number): this {
    this.#view.setUint32(this.#offset, value, true);
    this.#offset += 4;
    return this;
  }
  raw(bytes: Uint8Array): this {
    this.bytes.set(bytes, this.#offset);
    this.#offset += bytes.length;
    return this;
  }
}

function aesExtraField(): Uint8Array {
  return new Cursor(4 + AES_EXTRA_DATA_LENGTH)
    .u16(AES_EXTRA_ID) // header ID
    .u16(AES_EXTRA_DATA_LENGTH) // data size
    .u16(AE_2) // vendor version
    .raw(encode("AE")) // vendor ID
    .u8(AES_256_STRENGTH) // encryption strength
    .u16(STORED) // actual compression method
    .bytes;
}

/** One stored entry, encrypted with WinZip AES-256, as a whole archive. */
function aesArchive(
  salt: Uint8Array,
  keys: WinZipKeys,
  sealed: { data: Uint8Array; authCode: Uint8Array },
  size: number,
): Uint8Array {
  const name = encode(NAME);
  const extra = aesExtraField();
  const compressedSize = sealed.data.length + WINZIP_AES_256_OVERHEAD;
  const local = new Cursor(30 + name.length + extra.length)
    .u32(0x04034b50) // local file header signature (4.3.7)
    .u16(VERSION_AES) // version needed to extract
    .u16(0x0001) // general purpose flags: encrypted
    .u16(METHOD_AES) // compression method
    .u16(0) // last mod file time
    .u16(0x21) // last mod file date: 1980-01-01
    .u32(0) // crc-32: 0 for AE-2
    .u32(compressedSize) // compressed size
    .u32(size) // uncompressed size
    .u16(name.length) // file name length
    .u16(extra.length) // extra field length
    .raw(name)
    .raw(extra)
    .bytes;
  const central = new Cursor(46 + name.length + extra.length)
    .u32(0x02014b50) // central file header signature (4.3.12)
    .u16(VERSION_AES) // version made by
    .u16(VERSION_AES) // version needed to extract
    .u16(0x0001) // general purpose flags: encrypted
    .u16(METHOD_AES) // compression method
    .u16(0) // last mod file time
    .u16(0x21) // last mod file date
    .u32(0) // crc-32
    .u32(compressedSize) // compressed size
    .u32(size) // uncompressed size
    .u16(name.length) // file name length
    .u16(extra.length) // extra field length
    .u16(0) // file comment length
    .u16(0) // disk number start
    .u16(0) // internal file attributes
    .u32(0) // external file attributes
    .u32(0) // relative offset of local header
    .raw(name)
    .raw(extra)
    .bytes;
  const dataOffset = local.length;
  const centralOffset = dataOffset + compressedSize;
  const end = new Cursor(22)
    .u32(0x06054b50) // end of central dir signature (4.3.16)
    .u16(0) // number of this disk
    .u16(0) // disk where central directory starts
    .u16(1) // entries on this disk
    .u16(1) // total entries
    .u32(central.length) // size of the central directory
    .u32(centralOffset) // offset of the central directory
    .u16(0) // comment length
    .bytes;
  const archive = new Cursor(centralOffset + central.length + end.length);
  return archive.raw(local).raw(salt).raw(keys.verifier).raw(sealed.data)
    .raw(sealed.authCode).raw(central).raw(end).bytes;
}

async function run(
  command: string,
  args: string[],
): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  const output = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C.UTF-8" },
  }).output();
  return {
    code: output.code,
    stdout: output.stdout,
    stderr: new TextDecoder().decode(output.stderr),
  };
}

const PASSWORD = "correct horse ❤ battery";

for (const engine of ENGINES) {
  Deno.test(`7-Zip and bsdtar open an entry encrypted by the ${engine.name} engine`, async () => {
    const salt = randomWinZipSalt();
    const keys = await deriveWinZipKeys(encode(PASSWORD), salt);
    const plain = randomBytes(200_003);
    const sealed = encrypt(keys, chunk(plain, [1, 17, 4096, 70_001]), engine);
    const path = await Deno.makeTempFile({ suffix: ".zip" });
    try {
      await Deno.writeFile(path, aesArchive(salt, keys, sealed, plain.length));

      const test = await run("7z", ["t", `-p${PASSWORD}`, path]);
      assert.equal(test.code, 0, test.stderr);
      const sevenZip = await run("7z", ["x", "-so", `-p${PASSWORD}`, path]);
      assert.equal(sevenZip.code, 0, sevenZip.stderr);
      assert.ok(sevenZip.stdout.length === plain.length);
      assert.equal(hex(sevenZip.stdout), hex(plain));
      const bsdtar = await run("bsdtar", [
        "-xOf",
        path,
        "--passphrase",
        PASSWORD,
      ]);
      assert.equal(bsdtar.code, 0, bsdtar.stderr);
      assert.equal(hex(bsdtar.stdout), hex(plain));

      const wrong7z = await run("7z", ["t", "-pwrong", path]);
      assert.notEqual(wrong7z.code, 0);
      assert.match(wrong7z.stderr, /Wrong password/);
      const wrongTar = await run("bsdtar", [
        "-xOf",
        path,
        "--passphrase",
        "wrong",
      ]);
      assert.notEqual(wrongTar.code, 0);
      assert.equal(wrongTar.stdout.length, 0);
      assert.match(wrongTar.stderr, /Incorrect passphrase/);

      const flipped = sealed.data.slice();
      flipped[100_000] = flipped[100_000]! ^ 0x40;
      await Deno.writeFile(
        path,
        aesArchive(salt, keys, { ...sealed, data: flipped }, plain.length),
      );
      const corrupt = await run("7z", ["t", `-p${PASSWORD}`, path]);
      assert.notEqual(corrupt.code, 0);
      // 7-Zip reports a failed authentication code as a CRC error.
      assert.match(corrupt.stderr, /CRC Failed in encrypted file/);
    } finally {
      await Deno.remove(path);
    }
  });
}
