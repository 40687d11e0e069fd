/**
 * Serves the browser test's page and bundled scripts on 127.0.0.1, a secure
 * context for Service Workers without TLS.
 *
 * @module
 */

import type { BrowserScripts } from "./_bundle.ts";
import {
  DOWNLOAD_PATH,
  PAGE_PATH,
  PAGE_SCRIPT_PATH,
  SERVICE_WORKER_PATH,
} from "./_page_paths.ts";

/** A running page server. */
export interface PageServer {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /**
   * Requests for {@linkcode DOWNLOAD_PATH} that reached the server: each is a
   * download the Service Worker did not answer.
   */
  readonly strayDownloads: number;
  /** Stops the server and waits for its connections to end. */
  close(): Promise<void>;
}

const PAGE = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>zipstream browser test</title>
<body></body>
</html>
`;

/** Starts the server on a free port. */
export function servePage(scripts: BrowserScripts): PageServer {
  let strayDownloads = 0;
  const script = (text: string) =>
    new Response(text, {
      headers: { "content-type": "text/javascript; charset=utf-8" },
    });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      switch (new URL(request.url).pathname) {
        case PAGE_PATH:
          return new Response(PAGE, {
            headers: { "content-type": "text/html; charset=utf-8" },
          });
        case PAGE_SCRIPT_PATH:
          return script(scripts.page);
        case SERVICE_WORKER_PATH:
          return script(scripts.serviceWorker);
        case DOWNLOAD_PATH:
          strayDownloads++;
          return new Response(
            `${DOWNLOAD_PATH} is answered by the Service Worker, not the server`,
            { status: 404 },
          );
        default:
          return new Response("not found", { status: 404 });
      }
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    get strayDownloads() {
      return strayDownloads;
    },
    close: () => server.shutdown(),
  };
}
