import assert from "node:assert/strict";
import { parseModZip } from "../../src/cli/_mod_zip_manifest.ts";

Deno.test("parseModZip() reads CRC, size, percent-encoded location and a name with spaces", () => {
  const text = [
    "1c291ca3 428 /files/report%202026.pdf Reports/report 2026.pdf",
    "",
    "- 1024 s3://my-bucket/logs/a%2Bb.log logs/a+b.log\r",
    "   ",
    "00000000 0 empty.txt  two  spaces ",
    "ABCDEF01 7 r%C3%A9sum%C3%A9.txt résumé.txt",
  ].join("\n");
  assert.deepEqual(parseModZip(text, "m.txt"), [
    {
      line: 1,
      crc32: 0x1c291ca3,
      size: 428,
      location: "/files/report 2026.pdf",
      name: "Reports/report 2026.pdf",
    },
    {
      line: 3,
      crc32: undefined,
      size: 1024,
      location: "s3://my-bucket/logs/a+b.log",
      name: "logs/a+b.log",
    },
    {
      line: 5,
      crc32: 0,
      size: 0,
      location: "empty.txt",
      name: " two  spaces ",
    },
    {
      line: 6,
      crc32: 0xabcdef01,
      size: 7,
      location: "résumé.txt",
      name: "résumé.txt",
    },
  ]);
});

Deno.test("parseModZip() names the line and what is wrong with it", () => {
  const cases: [string, string][] = [
    [
      "- 5 a.txt",
      'expected "CRC32 SIZE LOCATION NAME", separated by spaces but got "- 5 a.txt"',
    ],
    [
      "1c291ca 5 a.txt a.txt",
      'expected a CRC-32 of eight hex digits or - but got "1c291ca"',
    ],
    ["- 5k a.txt a.txt", 'expected a size in bytes but got "5k"'],
    ["- -5 a.txt a.txt", 'expected a size in bytes but got "-5"'],
    [
      "- 5 a%zz.txt a.txt",
      'expected a percent-encoded location but got "a%zz.txt"',
    ],
  ];
  for (const [line, problem] of cases) {
    assert.throws(
      () => parseModZip(`- 1 ok.txt ok.txt\n\n${line}\n`, "m.txt"),
      {
        name: "CliError",
        message: `Invalid manifest "m.txt" line 3: ${problem}`,
      },
    );
  }
});
