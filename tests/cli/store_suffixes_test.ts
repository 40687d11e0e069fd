import assert from "node:assert/strict";
import {
  DEFAULT_STORE_SUFFIXES,
  describeCompression,
  hasStoredSuffix,
  parseStoreSuffixes,
} from "../../src/cli/_store_suffixes.ts";

Deno.test("parseStoreSuffixes() reads zip -n's colon-separated list, in any case", () => {
  assert.deepEqual(parseStoreSuffixes(".GZ:jpg::.tar.xz"), [
    ".gz",
    "jpg",
    ".tar.xz",
  ]);
  assert.deepEqual(parseStoreSuffixes(""), []);
});

Deno.test("hasStoredSuffix() matches the end of the name whatever its case", () => {
  assert.equal(
    hasStoredSuffix("photos/IMG_1.JPG", DEFAULT_STORE_SUFFIXES),
    true,
  );
  assert.equal(hasStoredSuffix("dist/app.whl", DEFAULT_STORE_SUFFIXES), true);
  assert.equal(hasStoredSuffix("notes.txt", DEFAULT_STORE_SUFFIXES), false);
  assert.equal(hasStoredSuffix("zip", DEFAULT_STORE_SUFFIXES), false);
  assert.equal(hasStoredSuffix("a.jpg", []), false);
});

Deno.test("describeCompression() tells apart runs that would store other names, for --resume", () => {
  assert.equal(describeCompression("store", [".gz"]), "store");
  assert.equal(describeCompression("deflate", []), "deflate");
  assert.equal(
    describeCompression("deflate", [".gz", ".jpg"]),
    "deflate, storing .gz:.jpg",
  );
});
