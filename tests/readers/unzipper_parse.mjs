// Reads a ZIP archive from standard input with Node `unzipper`'s streaming
// Parse, which sees only local headers, data and data descriptors. Prints one
// JSON object per entry on standard output as it goes; on an error, prints
// it on standard error and exits 3, so the entries read before it are known.

import { createHash } from "node:crypto";
import unzipper from "unzipper";

const parse = process.stdin.pipe(unzipper.Parse({ forceStream: true }));
try {
  for await (const entry of parse) {
    const hash = createHash("sha256");
    let size = 0;
    // Reading each entry to its end before the next keeps memory flat.
    for await (const chunk of entry) {
      hash.update(chunk);
      size += chunk.length;
    }
    process.stdout.write(
      JSON.stringify({
        name: entry.path,
        isDirectory: entry.type === "Directory",
        size,
        sha256: hash.digest("hex"),
      }) + "\n",
    );
  }
} catch (error) {
  process.stderr.write(
    `${error?.name ?? "Error"}: ${error?.message ?? error}\n`,
  );
  process.exit(3);
}
