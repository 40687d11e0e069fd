import assert from "node:assert/strict";
import { parse as parseDisposition } from "content-disposition";
import type { ZipPlan } from "../../mod.ts";
import { serveZip, type ServeZipOptions } from "../../src/http/mod.ts";
import { assertSameBytes, bytesOf, pseudoRandom } from "../_data.ts";
import {
  ChangingSource,
  CountingSource,
  sampleArchive,
  stubPlan,
  type TestArchive,
} from "./_archive_server.ts";
import { parseByteranges } from "./_multipart.ts";

const URL = "http://localhost/archive.zip";
const LAST_MODIFIED = "Fri, 02 Jan 2026 03:04:05 GMT";

const archive = await sampleArchive();
const { plan, bytes } = archive;
const size = plan.size;

function request(
  headers: Record<string, string> = {},
  method = "GET",
): Request {
  return new Request(URL, { method, headers });
}

async function get(
  headers: Record<string, string> = {},
  options?: ServeZipOptions,
  from: ZipPlan = plan,
): Promise<Response> {
  return await serveZip(request(headers), from, options);
}

async function bodyOf(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

/** Asserts a response without a body, so that none is left unread. */
function assertNoBody(response: Response): void {
  assert.equal(response.body, null);
}

function headersOf(response: Response): Record<string, string> {
  return Object.fromEntries(response.headers);
}

Deno.test("serveZip() sends the whole archive with its validators", async () => {
  const response = await get();
  assert.equal(response.status, 200);
  assert.deepEqual(headersOf(response), {
    "accept-ranges": "bytes",
    "content-disposition": "attachment",
    "content-length": String(size),
    "content-type": "application/zip",
    "etag": plan.etag,
    "last-modified": LAST_MODIFIED,
  });
  assertSameBytes(await bodyOf(response), bytes, "body");
});

Deno.test("serveZip() answers HEAD with GET's headers and reads no source", async () => {
  const sources: CountingSource[] = [];
  const counted = await sampleArchive((name, data) => {
    const source = new CountingSource(data, name);
    sources.push(source);
    return source;
  });
  const readsAfterPlanning = sources.map((source) => source.reads);
  const head = await serveZip(request({}, "HEAD"), counted.plan);
  const getting = await serveZip(request(), counted.plan);
  assert.equal(head.status, 200);
  assert.deepEqual(headersOf(head), headersOf(getting));
  assertNoBody(head);
  // Nor does a GET before its body is read.
  assert.deepEqual(sources.map((source) => source.reads), readsAfterPlanning);
  await getting.body!.cancel();
});

Deno.test("serveZip() ignores Range in a HEAD request, as RFC 9110 defines ranges for GET only", async () => {
  const head = await serveZip(request({ Range: "bytes=0-9" }, "HEAD"), plan);
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(size));
  assertNoBody(head);
});

Deno.test("serveZip() answers other methods with 405 and Allow", async () => {
  for (const method of ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"]) {
    const response = await serveZip(
      request({ Range: "bytes=0-9" }, method),
      plan,
    );
    assert.equal(response.status, 405, method);
    assert.deepEqual(headersOf(response), { allow: "GET, HEAD" }, method);
    assertNoBody(response);
  }
});

Deno.test("serveZip() sends one range as 206 with Content-Range", async () => {
  const cases: [string, number, number][] = [
    ["bytes=0-0", 0, 0],
    ["bytes=100-199", 100, 199],
    ["bytes=-500", size - 500, size - 1],
    ["bytes=1000-", 1000, size - 1],
    // An end past the archive is cut to its last byte (RFC 9110 §14.1.2).
    [`bytes=5-${size + 1000}`, 5, size - 1],
    [`bytes=-${size + 1000}`, 0, size - 1],
    ["BYTES=7-8", 7, 8],
  ];
  for (const [range, start, end] of cases) {
    const response = await get({ Range: range });
    assert.equal(response.status, 206, range);
    const headers = headersOf(response);
    assert.equal(headers["content-range"], `bytes ${start}-${end}/${size}`);
    assert.equal(headers["content-length"], String(end + 1 - start));
    assert.equal(headers["content-type"], "application/zip");
    assert.equal(headers["etag"], plan.etag);
    assertSameBytes(
      await bodyOf(response),
      bytes.subarray(start, end + 1),
      range,
    );
  }
});

Deno.test("serveZip() sends several ranges as multipart/byteranges with an exact Content-Length", async () => {
  const asked: [number, number][] = [
    [0, 99],
    [4096, 1_500_000],
    [size - 22, size - 1],
    [300, 300],
  ];
  const response = await get({
    Range: `bytes=${asked.map(([a, b]) => `${a}-${b}`).join(", ")}`,
  });
  assert.equal(response.status, 206);
  assert.equal(response.headers.get("content-range"), null);
  const body = await bodyOf(response);
  assert.equal(response.headers.get("content-length"), String(body.length));
  const parts = parseByteranges(body, response.headers.get("content-type")!);
  assert.deepEqual(
    parts.map(({ start, end, size, contentType }) => [
      start,
      end,
      size,
      contentType,
    ]),
    asked.map(([start, end]) => [start, end, plan.size, "application/zip"]),
  );
  for (const part of parts) {
    assertSameBytes(part.bytes, bytes.subarray(part.start, part.end + 1));
  }
});

Deno.test("serveZip() opens each slice of a multipart body only when the body reaches it", async () => {
  const opened: number[] = [];
  const recording: ZipPlan = {
    ...plan,
    slice(start, end) {
      opened.push(start);
      return plan.slice(start, end);
    },
  };
  const response = await get(
    { Range: "bytes=0-99,3000000-3000099" },
    {},
    recording,
  );
  const reader = response.body!.getReader();
  let received = 0;
  const openedAt: number[] = [];
  for (;;) {
    const before = opened.length;
    const { done, value } = await reader.read();
    if (done) break;
    // The bytes received before the chunk that opened a slice.
    if (opened.length > before) openedAt.push(received);
    received += value.length;
  }
  assert.deepEqual(opened, [0, 3_000_000]);
  // The second slice opened after the first part's headers (at least its
  // delimiter line) and its 100 bytes had been sent.
  const delimiterLine = "--zipstream-".length + 24 + 2;
  assert.ok(openedAt[1]! > delimiterLine + 100, JSON.stringify(openedAt));
});

Deno.test("serveZip() uses a new boundary for each multipart answer", async () => {
  const types = new Set<string>();
  for (let i = 0; i < 3; i++) {
    const response = await get({ Range: "bytes=0-1,5-6" });
    types.add(response.headers.get("content-type")!);
    await response.body!.cancel();
  }
  assert.equal(types.size, 3);
});

Deno.test("serveZip() merges overlapping and adjacent ranges, in the order asked", async () => {
  const single = await get({ Range: "bytes=0-99,50-149,150-199" });
  assert.equal(single.status, 206);
  assert.equal(single.headers.get("content-range"), `bytes 0-199/${size}`);
  assertSameBytes(await bodyOf(single), bytes.subarray(0, 200));

  const several = await get({ Range: "bytes=900-999,0-9,950-1099,5-20" });
  const parts = parseByteranges(
    await bodyOf(several),
    several.headers.get("content-type")!,
  );
  assert.deepEqual(parts.map(({ start, end }) => [start, end]), [
    [900, 1099],
    [0, 20],
  ]);
});

Deno.test("serveZip() serves the satisfiable ranges and drops the others", async () => {
  const response = await get({ Range: `bytes=${size}-,10-19,${size + 5}-` });
  assert.equal(response.status, 206);
  assert.equal(response.headers.get("content-range"), `bytes 10-19/${size}`);
  assertSameBytes(await bodyOf(response), bytes.subarray(10, 20));
});

Deno.test("serveZip() answers 416 with the size when no range is satisfiable", async () => {
  for (
    const range of [`bytes=${size}-`, `bytes=${size}-${size + 9}`, "bytes=-0"]
  ) {
    const response = await get({ Range: range });
    assert.equal(response.status, 416, range);
    assert.deepEqual(headersOf(response), {
      "accept-ranges": "bytes",
      "content-range": `bytes */${size}`,
      "etag": plan.etag,
      "last-modified": LAST_MODIFIED,
    });
    assertNoBody(response);
  }
});

Deno.test("serveZip() ignores a malformed Range and sends the whole archive", async () => {
  for (
    const range of [
      "bytes=abc",
      "bytes=5-2",
      "bytes=0-9,x-",
      "bytes=",
      "bytes=-",
      "0-9",
      "items=0-9",
      "bytes=1.5-3",
      "bytes = 7-8",
    ]
  ) {
    const response = await get({ Range: range });
    assert.equal(response.status, 200, range);
    assert.equal(response.headers.get("content-length"), String(size));
    assertSameBytes(await bodyOf(response), bytes, range);
  }
});

Deno.test("serveZip() sends the whole archive for more than maxRanges ranges", async () => {
  const ranges = (count: number) =>
    `bytes=${
      Array.from({ length: count }, (_, i) => `${i * 10}-${i * 10 + 4}`).join()
    }`;
  const hundred = await get({ Range: ranges(100) });
  assert.equal(hundred.status, 206);
  const parts = parseByteranges(
    await bodyOf(hundred),
    hundred.headers.get("content-type")!,
  );
  assert.equal(parts.length, 100);

  const tooMany = await get({ Range: ranges(101) });
  assert.equal(tooMany.status, 200);
  assertSameBytes(await bodyOf(tooMany), bytes);

  // Counted after merging: 1,000 overlapping ranges are one.
  const overlapping = await get({
    Range: `bytes=${Array.from({ length: 1000 }, (_, i) => `${i}-${i + 5}`)}`,
  });
  assert.equal(
    overlapping.headers.get("content-range"),
    `bytes 0-1004/${size}`,
  );
  await overlapping.body!.cancel();

  const limited = await get({ Range: "bytes=0-1,5-6" }, { maxRanges: 1 });
  assert.equal(limited.status, 200);
  await limited.body!.cancel();
});

Deno.test("serveZip() keeps a range only while If-Range holds the current ETag", async () => {
  const cases: [string, number][] = [
    [plan.etag, 206],
    [` ${plan.etag} `, 206],
    ['"zs1-00000000000000000000000000000000"', 200],
    [`W/${plan.etag}`, 200],
    [`${plan.etag}, "other"`, 200],
    // A date never holds: a plan's Last-Modified is not a strong validator.
    [LAST_MODIFIED, 200],
    ["garbage", 200],
  ];
  for (const [ifRange, status] of cases) {
    const response = await get({ Range: "bytes=10-19", "If-Range": ifRange });
    assert.equal(response.status, status, ifRange);
    const body = await bodyOf(response);
    assert.equal(body.length, status === 206 ? 10 : size, ifRange);
  }
  // Without a range, If-Range changes nothing.
  const whole = await get({ "If-Range": plan.etag });
  assert.equal(whole.status, 200);
  await whole.body!.cancel();
  // A failing If-Range sends the whole archive even for an unsatisfiable range.
  const unsatisfiable = await get({
    Range: `bytes=${size}-`,
    "If-Range": '"x"',
  });
  assert.equal(unsatisfiable.status, 200);
  await unsatisfiable.body!.cancel();
});

Deno.test("serveZip() answers a matching If-None-Match with 304 and the ETag", async () => {
  const weakTag = `W/${plan.etag}`;
  for (
    const ifNoneMatch of [
      plan.etag,
      weakTag,
      `"a", ${plan.etag}`,
      `"a",,  ${weakTag} ,"b"`,
      "*",
    ]
  ) {
    for (const method of ["GET", "HEAD"]) {
      const response = await serveZip(
        request({
          "If-None-Match": ifNoneMatch,
          Range: "bytes=0-9",
          "If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT",
        }, method),
        plan,
        { headers: { "Cache-Control": "private, max-age=60" } },
      );
      assert.equal(response.status, 304, `${method} ${ifNoneMatch}`);
      assert.deepEqual(headersOf(response), {
        "cache-control": "private, max-age=60",
        "etag": plan.etag,
      });
      assertNoBody(response);
    }
  }
  for (
    const ifNoneMatch of ['"a", "b"', plan.etag.slice(0, -2) + '"', "junk"]
  ) {
    const response = await get({ "If-None-Match": ifNoneMatch });
    assert.equal(response.status, 200, ifNoneMatch);
    await response.body!.cancel();
  }
});

Deno.test("serveZip() answers If-Modified-Since with 304 unless modified since, ignoring invalid dates", async () => {
  const cases: [string, number][] = [
    [LAST_MODIFIED, 304],
    ["Fri, 02 Jan 2026 03:04:06 GMT", 304],
    ["Fri, 02 Jan 2026 03:04:04 GMT", 200],
    // RFC 850 and asctime, which recipients must accept too.
    ["Friday, 02-Jan-26 03:04:05 GMT", 304],
    ["Fri Jan  2 03:04:05 2026", 304],
    ["Thu Jan  1 03:04:05 2026", 200],
    // Not HTTP-dates: ignored, although Date.parse would read them.
    ["2030-01-01", 200],
    ["Fri, 31 Feb 2026 03:04:05 GMT", 200],
    ["1", 200],
  ];
  for (const [since, status] of cases) {
    const response = await get({ "If-Modified-Since": since });
    assert.equal(response.status, status, since);
    await response.body?.cancel();
  }
  // If-None-Match makes If-Modified-Since irrelevant.
  const response = await get({
    "If-None-Match": '"other"',
    "If-Modified-Since": LAST_MODIFIED,
  });
  assert.equal(response.status, 200);
  await response.body!.cancel();
});

Deno.test("serveZip() answers a failing If-Match or If-Unmodified-Since with 412", async () => {
  const cases: [Record<string, string>, number][] = [
    [{ "If-Match": plan.etag }, 200],
    [{ "If-Match": `"a", ${plan.etag}` }, 200],
    [{ "If-Match": "*" }, 200],
    [{ "If-Match": '"other"' }, 412],
    // If-Match compares strongly.
    [{ "If-Match": `W/${plan.etag}` }, 412],
    [{ "If-Match": "junk" }, 412],
    [{ "If-Unmodified-Since": LAST_MODIFIED }, 200],
    [{ "If-Unmodified-Since": "Fri, 02 Jan 2026 03:04:04 GMT" }, 412],
    [{ "If-Unmodified-Since": "not a date" }, 200],
    // If-Match makes If-Unmodified-Since irrelevant.
    [{
      "If-Match": plan.etag,
      "If-Unmodified-Since": "Fri, 02 Jan 2026 03:04:04 GMT",
    }, 200],
    // And preconditions come before ranges.
    [{ "If-Match": '"other"', Range: "bytes=0-9" }, 412],
  ];
  for (const [headers, status] of cases) {
    const response = await get(headers);
    assert.equal(response.status, status, JSON.stringify(headers));
    if (status === 412) {
      assert.deepEqual(headersOf(response), {});
      assertNoBody(response);
    } else {
      await response.body!.cancel();
    }
  }
  const head = await serveZip(request({ "If-Match": '"other"' }, "HEAD"), plan);
  assert.equal(head.status, 412);
});

Deno.test("serveZip() names the file in Content-Disposition, with filename* outside ASCII", async () => {
  const cases: [string, string, string][] = [
    ["photos.zip", "attachment; filename=photos.zip", "photos.zip"],
    [
      'say "hi".zip',
      'attachment; filename="say \\"hi\\".zip"',
      'say "hi".zip',
    ],
    [
      "Résumé 2026.zip",
      "attachment; filename=\"Resume 2026.zip\"; filename*=UTF-8''R%C3%A9sum%C3%A9%202026.zip",
      "Resume 2026.zip",
    ],
    [
      "写真 📷.zip",
      "attachment; filename=\"__ _.zip\"; filename*=UTF-8''%E5%86%99%E7%9C%9F%20%F0%9F%93%B7.zip",
      "__ _.zip",
    ],
  ];
  for (const [filename, header, fallback] of cases) {
    const response = await serveZip(request({ Range: "bytes=0-0" }), plan, {
      filename,
    });
    const value = response.headers.get("content-disposition")!;
    assert.equal(value, header);
    assert.deepEqual(
      { ...parseDisposition(value).parameters },
      { filename },
    );
    assert.equal(
      parseDisposition(value, { extended: false }).parameters.filename,
      fallback,
    );
    await response.body!.cancel();
  }
});

Deno.test("serveZip() adds the caller's headers to every answer", async () => {
  const options = {
    headers: [["Cache-Control", "no-store"], ["Vary", "Accept-Encoding"]],
  } satisfies ServeZipOptions;
  const requests: Record<string, string>[] = [
    {},
    { Range: "bytes=0-0" },
    { Range: "bytes=0-0,4-5" },
    { Range: `bytes=${size}-` },
    { "If-None-Match": "*" },
    { "If-Match": '"x"' },
  ];
  for (const headers of requests) {
    const response = await get(headers, options);
    assert.equal(response.headers.get("cache-control"), "no-store");
    assert.equal(response.headers.get("vary"), "Accept-Encoding");
    await response.body?.cancel();
  }
});

Deno.test("serveZip() rejects options it cannot honour, naming them", async () => {
  const cases: [unknown, typeof TypeError | typeof RangeError, string][] = [
    [
      { maxRanges: 0 },
      RangeError,
      'Cannot serve the archive: expected option "maxRanges" to be a positive integer but got 0',
    ],
    [
      { maxRanges: 2.5 },
      RangeError,
      'Cannot serve the archive: expected option "maxRanges" to be a positive integer but got 2.5',
    ],
    [
      { filename: "" },
      TypeError,
      'Cannot serve the archive: expected option "filename" to be a non-empty string without control characters but got ""',
    ],
    [
      { filename: "a\r\nSet-Cookie: x=1" },
      TypeError,
      'Cannot serve the archive: expected option "filename" to be a non-empty string without control characters but got "a\\r\\nSet-Cookie: x=1"',
    ],
    [
      { headers: { ETag: '"mine"' } },
      TypeError,
      'Cannot serve the archive: expected option "headers" to leave out the headers serveZip sets (accept-ranges, allow, content-disposition, content-length, content-range, content-type, etag, last-modified) but it sets "etag"',
    ],
    [
      { headers: [["Bad Name", "x"]] },
      TypeError,
      'Cannot serve the archive: expected option "headers" to be headers (a Headers, a record or pairs of names and values) but got an array',
    ],
    [
      { signal: "request.signal" },
      TypeError,
      'Cannot serve the archive: expected option "signal" to be an AbortSignal but got "request.signal"',
    ],
    [
      null,
      TypeError,
      "Cannot serve the archive: expected options to be an object but got null",
    ],
  ];
  for (const [options, Kind, message] of cases) {
    await assert.rejects(
      serveZip(request(), plan, options as ServeZipOptions),
      (error: Error) => {
        assert.equal(error.constructor, Kind);
        assert.equal(error.message, message);
        return true;
      },
    );
  }
});

Deno.test("serveZip() fails the body, never pads it, when the plan gives fewer or more bytes", async () => {
  const data = pseudoRandom(1000, 3);
  const cases: [number, string, string][] = [
    [
      -10,
      "",
      "Cannot send bytes 0-999 of the archive: expected 1000 bytes from plan.slice() but it ended after 990",
    ],
    [
      5,
      "",
      "Cannot send bytes 0-999 of the archive: expected 1000 bytes from plan.slice() but it gave more",
    ],
    [
      -1,
      "bytes=10-19",
      "Cannot send bytes 10-19 of the archive: expected 10 bytes from plan.slice() but it ended after 9",
    ],
    [
      -1,
      "bytes=0-1,10-19",
      "Cannot send bytes 0-1 of the archive: expected 2 bytes from plan.slice() but it ended after 1",
    ],
  ];
  for (const [extra, range, message] of cases) {
    const response = await get(
      range === "" ? {} : { Range: range },
      {},
      stubPlan(data, extra),
    );
    await assert.rejects(bodyOf(response), (error: Error) => {
      assert.equal(error.constructor, RangeError);
      assert.equal(error.message, message);
      return true;
    });
  }
});

Deno.test("serveZip() fails the body where a source fails, after the bytes before it", async () => {
  let source: ChangingSource | undefined;
  const failing = await sampleArchive((name, data) => {
    if (name !== "tail.bin") return data;
    source = new ChangingSource(data, 1000, "error");
    return source;
  });
  source!.changed = true;
  const reader = (await serveZip(request(), failing.plan)).body!.getReader();
  const received: Uint8Array[] = [];
  await assert.rejects(async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received.push(value);
    }
  }, /"tail\.bin" failed: The source changed/);
  const got = await bytesOf(ReadableStream.from(received));
  const tail = failing.plan.entries.find((entry) => entry.name === "tail.bin")!;
  assert.equal(got.length, tail.dataOffset + 1000);
  assertSameBytes(got, failing.bytes.subarray(0, got.length), "prefix");
});

Deno.test("serveZip() cancels the source being read when its signal aborts", async () => {
  let source: CountingSource | undefined;
  const counted: TestArchive = await sampleArchive((name, data) => {
    if (name !== "données/été 2026.bin") return data;
    source = new CountingSource(data, name);
    return source;
  });
  const aborter = new AbortController();
  const response = await serveZip(
    new Request(URL, { signal: aborter.signal }),
    counted.plan,
    { signal: aborter.signal },
  );
  const reader = response.body!.getReader();
  let received = 0;
  while (received < 200_000) {
    const { value } = await reader.read();
    received += value!.length;
  }
  assert.equal(source!.cancels, 0);
  aborter.abort(new Error("The client went away"));
  await assert.rejects(reader.read(), /The client went away/);
  assert.equal(source!.cancels, 1);
});

Deno.test("serveZip() cancels the source being read when the body is cancelled", async () => {
  let source: CountingSource | undefined;
  const counted = await sampleArchive((name, data) => {
    if (name !== "données/été 2026.bin") return data;
    source = new CountingSource(data, name);
    return source;
  });
  const response = await get(
    { Range: "bytes=0-9,1000-2000000" },
    {},
    counted.plan,
  );
  const reader = response.body!.getReader();
  for (let received = 0; received < 100_000;) {
    received += (await reader.read()).value!.length;
  }
  await reader.cancel(new Error("Enough"));
  assert.equal(source!.cancels, 1);
});

Deno.test("serveZip() sends nothing when its signal aborted before the body is read", async () => {
  const aborter = new AbortController();
  aborter.abort(new Error("Gone"));
  const response = await serveZip(request(), plan, {
    signal: aborter.signal,
  });
  await assert.rejects(bodyOf(response), /Gone/);
});

Deno.test("serveZip() sends every byte of the sample archive through ranges of every entry boundary", async () => {
  const edges = archive.plan.entries.flatMap((entry) => [
    entry.offset,
    entry.dataOffset,
    entry.dataOffset + entry.size,
  ]);
  for (const edge of edges) {
    const start = Math.max(0, edge - 3);
    const end = Math.min(size - 1, edge + 3);
    const response = await get({ Range: `bytes=${start}-${end}` });
    assertSameBytes(await bodyOf(response), bytes.subarray(start, end + 1));
  }
});
