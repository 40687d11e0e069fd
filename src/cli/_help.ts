/**
 * The `--help` text, the single description of the command line.
 *
 * @module
 */

import { MAX_ATTEMPTS } from "../s3/_option_checks.ts";
import {
  MAX_CONCURRENCY,
  MAX_PART_SIZE,
  MAX_PARTS,
  MIN_PART_SIZE,
} from "../s3/_part_size_plan.ts";
import { MAX_WORKERS } from "../zip/_resolved_options.ts";

const mib = (bytes: number) => `${bytes / 2 ** 20}MiB`;
const gib = (bytes: number) => `${bytes / 2 ** 30}GiB`;

/** Printed by `zipstream --help`. */
export const HELP =
  `zipstream - write a ZIP archive as a stream: to a file, to stdout, or into S3

Usage:
  zipstream [options] <path>... -o <target>
  zipstream --abort-resume FILE|s3://BUCKET/KEY [--endpoint URL] [--region R]
  zipstream cleanup [--dry-run]
  zipstream cleanup s3://bucket/prefix --older-than AGE [--dry-run]
  zipstream plan [options] <path>... -o <manifest>
  zipstream serve [options] [--host H] [--port N] [--name NAME] <path>...
  zipstream serve --manifest FILE [--host H] [--port N] [--name NAME]
  zipstream worker --queue redis://HOST:PORT [--endpoint URL] [--concurrency N]

Arguments:
  <path>               a file or directory to add, directories recursively, or -
                       to read standard input as one entry; names keep the path
                       as given, like zip -r (src/a.ts for src or src/a.ts, a.ts
                       for . inside src; a leading / or ../ is dropped)
  s3://bucket/prefix/  the objects under an S3 prefix, named like a directory's
                       files: from the prefix's last folder on (s3://b/x/logs/
                       gives logs/a.txt; s3://b/ gives the keys as they are);
                       s3://bucket/key adds one object by its last segment
                       (s3://b/x/a.txt gives a.txt); without a final /, the
                       object if it exists, else the folder; a prefix with no
                       objects is an error

Options:
  -o, --output TARGET  FILE, - (standard output), s3://bucket/key, or
                       s3://bucket/folder/ for folder/NAME.zip, NAME being the
                       base name of the single path given (site/ gives
                       site.zip; more paths, - or -@ need the key)
  -0 ... -9            deflate level; -0 stores without compression (default -6)
  --level N            the same as -N
  --store              the same as -0
  -n, --store-suffixes LIST
                       store names ending so without compression, as zip -n:
                       endings separated by colons (.gz:.jpg), in any case;
                       replaces the default list of formats compressed
                       already (.zip .gz .tgz .bz2 .xz .zst .7z .jpg .png .mp3
                       .mp4 .docx .jar .whl .woff2 and more); '' for none
  --comment TEXT       the archive comment
  -x, --exclude GLOB   leave out matching files and objects (repeatable); a GLOB
                       without / is matched against each name at any depth
                       ('*.log', 'node_modules'), one with / against the whole
                       archive name
  -i, --include GLOB   add only the files and objects that match (repeatable),
                       by the same rules; directories are still walked, and
                       added only if they match
  -j, --junk-paths     name files and objects by their base name alone, and add
                       no directories (two with one base name are an error)
  -@, --names-stdin    read more paths from standard input, one per line
  --strict             stop at an unreadable file or directory: exit 1 and
                       leave no archive (default: warn, leave it out, finish
                       the archive and exit 18, as zip does)
  --follow-symlinks    add what symbolic links point to, failing on a broken link
                       (default: store the links themselves, as links)
  --allow-escaping-symlinks
                       store links that could point outside the folder the
                       archive is extracted into (an absolute target, or one
                       climbing above the archive's root); dangerous: unzip
                       and bsdtar create them as they are (default: fail,
                       naming the link)
  --stdin-name NAME    the entry name for - (default: -)
  --workers N          threads that deflate, 0 to ${MAX_WORKERS} (default: one
                       per core, at most 4); 0 deflates in the main thread,
                       slower but with the least memory
  -e, --encrypt        encrypt every file with WinZip AES-256 (AE-2); names,
                       sizes, directories and links stay readable. The password
                       comes from --password-file, else $ZIPSTREAM_PASSWORD,
                       else it is asked twice on the terminal without echo.
                       7-Zip, bsdtar and WinZip open such archives; unzip 6.0,
                       Windows Explorer and Python's zipfile do not. An
                       encrypted archive is never built in S3 by copies; with
                       --resume, FILE keeps its salt key, never the password
  --password-file FILE encrypt (as -e) with the first line of FILE as password

S3 targets and s3:// paths (credentials from the AWS SDK's standard chain:
AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ~/.aws/credentials,
instance roles; looked up first, so that without any the run stops at once):
  --endpoint URL       an S3-compatible server, addressed path-style
                       (default: $AWS_ENDPOINT_URL_S3 or $AWS_ENDPOINT_URL, else AWS)
  --endpoint-url URL   the same, by the AWS CLI's name
  --region R           (default: $AWS_REGION, else the SDK's profile; us-east-1
                       for an S3-compatible endpoint)
  --profile NAME       the profile of ~/.aws/config and ~/.aws/credentials to
                       take credentials and region from (default: $AWS_PROFILE)
  --storage-class CLASS
                       the object's storage class, e.g. STANDARD_IA, GLACIER_IR
                       (default: the bucket's)
  --sse MODE           server-side encryption: AES256, aws:kms or aws:kms:dsse
                       (default: the bucket's)
  --sse-kms-key-id ID  the KMS key of --sse aws:kms (default: the AWS managed
                       key)
  --content-type TYPE  the object's Content-Type (default: application/zip)
  --metadata K=V,...   the object's user metadata (x-amz-meta-K), keys in
                       lowercase
  --part-size SIZE     multipart part size from ${mib(MIN_PART_SIZE)} to ${
    gib(MAX_PART_SIZE)
  }, e.g. 16MiB
                       (default: ${
    mib(MIN_PART_SIZE)
  }, raised as needed to fit ${MAX_PARTS.toLocaleString("en")} parts)
  --concurrency N      parts uploaded at once, 1 to ${MAX_CONCURRENCY} (default: 4); memory
                       holds at most (N + 1) parts
  --content-md5        send each part's MD5 as Content-MD5 and check the ETag
                       answered (default: each part carries its CRC-32 only)
  --payload-signing MODE
                       auto, always or never: whether the signature covers each
                       part's bytes (default: auto, unsigned over https only;
                       always for servers that ignore x-amz-checksum-crc32)
  --part-checksum KIND crc32 or none: the checksum header each part carries
                       (default: crc32; none for servers that refuse it)
  --source-endpoint URL
                       the server of the s3:// paths, when it is not the
                       target's (default: the one --endpoint gives)
  --source-region R    the region of the s3:// paths (default: as --region)
  --no-copy            stream the archive even when it could be built inside
                       S3 (default: when stored s3:// objects (-0, or -n
                       suffixes) are on the target's server, the archive is
                       built there: objects of 5MiB or more are copied
                       server-side (UploadPartCopy), and only headers,
                       smaller objects, the other entries (compressed, or
                       files), which come after the copied ones, and the
                       central directory are sent; --resume, --part-size,
                       --content-md5, --payload-signing, --part-checksum,
                       --storage-class, --sse, --sse-kms-key-id, --metadata
                       and --cleanup-max-time stream instead, saying so, as
                       does a server that refuses copies)
  --queue URL          have zipstream worker processes (any number, on any
                       machines, on the same queue) write the archive: the
                       entries are cut into segments, BullMQ jobs on the Redis
                       server at URL (redis://HOST:PORT); the command waits,
                       then joins the segments inside S3; a segment whose
                       worker dies is taken up by another; files must be at
                       the same path for every worker; not for -, -e, --resume
  --segment-size SIZE  input bytes per segment with --queue (default: 256MiB)
  --resume FILE        make the upload resumable: after each part, FILE records
                       the upload (FILE.entries the entries written); if FILE
                       exists, continue the upload it records instead of
                       starting over (the same paths and options are required;
                       parts already stored are checked, not sent again); on
                       failure or interruption the upload is kept; FILE is
                       removed once the upload completes; not for -
  --resume s3://BUCKET/KEY
                       the same, the checkpoint kept as that object (and the
                       records under KEY.entries/) on the target's server, for
                       machines that keep no disk between runs; saved at most
                       every 10 s, and whenever the run stops
  --max-time SECONDS   with --resume: start no part that would be answered more
                       than SECONDS after the start (judged by the parts sent
                       so far), let the parts in flight finish, keep the upload
                       and its checkpoint and exit 75; run the same command
                       again to continue (every run sends at least one part)
  --abort-resume FILE  abort the upload FILE records and remove FILE
  --retries N          attempts per S3 request, the first included, 1 to ${MAX_ATTEMPTS}
                       (default: 20); for s3:// paths too
  --retry-max-time SECONDS
                       how long after its first attempt a request may still be
                       retried (default: 40, enough to ride out a server gone
                       for 30 s); for s3:// paths too
  --cleanup-max-time SECONDS
                       the same for aborting the upload after a failure and
                       checking it is gone (default: 300)

Cleanup (multipart uploads left behind hold parts that are billed):
  Every multipart upload is recorded in a journal ($ZIPSTREAM_STATE_DIR, else
  $XDG_STATE_HOME/zipstream, else ~/.local/state/zipstream) from before its
  first part until it is completed or confirmed gone. Each run first aborts
  the recorded uploads whose process is gone (killed, crashed, or stopped by
  a second Ctrl-C), briefly, keeping those it cannot abort for:
  zipstream cleanup    the same, with the full --cleanup-max-time; also lists
                       uploads still in use; an upload kept for --resume FILE
                       is left alone while FILE exists
  zipstream cleanup s3://bucket/prefix --older-than AGE
                       abort every incomplete upload under the prefix begun
                       more than AGE ago (30m, 12h, 1d), recorded or not;
                       also remove the temporary objects a server-side build
                       that was killed left (KEY.zipstream-seams/...) and
                       that were last written more than AGE ago
  --dry-run            list what would be aborted or removed, do nothing
  --endpoint URL, --region R, --profile NAME
                       the server and credentials of s3://bucket/prefix (the
                       journal records each upload's own)
  --retries N, --cleanup-max-time SECONDS, -q
                       as above, for each request of the abort
  (a file named cleanup is archived as ./cleanup)

Plan and serve (a stored archive laid out before any byte is sent, so that
any range of it can be served; a file named plan or serve is ./plan, ./serve):
  zipstream plan <path>... -o FILE
                       write the manifest of the archive of the paths and
                       s3:// paths (walked as above): every entry's name, size,
                       CRC-32, time, mode and source (path, mtime and inode;
                       or bucket, key and ETag); -o - for standard output
  zipstream serve <path>...
                       serve the archive over HTTP, GET and HEAD with ranges,
                       ETag and conditional requests, at / and /NAME, until
                       Ctrl-C or SIGTERM; the URL is printed on stdout
  --manifest FILE      instead of paths: a manifest of zipstream plan (no data
                       is read; each file is checked to be the version
                       planned, at start and at every read), or nginx
                       mod_zip's lines "CRC32 SIZE LOCATION NAME" (CRC32 as
                       8 hex digits or -, LOCATION percent-encoded: a path,
                       relative to FILE's folder, or s3://bucket/key)
  --host H             the address to listen on (default: 127.0.0.1)
  --port N             the port (default: a free one)
  --name NAME          the archive's file name, in its URL and in
                       Content-Disposition (default: archive.zip)
  --crc-cache FILE     keep the CRC-32s read from data in FILE, keyed by path,
                       size, mtime and inode (bucket, key and ETag), so that
                       the next plan of the same files reads none of them
                       (default: $XDG_CACHE_HOME/zipstream/crc32.json, else
                       ~/.cache/zipstream/crc32.json); a FILE that is not such
                       a cache is an error, and is left as it is
  --no-crc-cache       keep no CRC cache
  --comment, --follow-symlinks, --allow-escaping-symlinks, -x, -i (local
  paths only), --endpoint, --region, --profile, -q: as above
  A file that changes after it was planned fails the download (cut short,
  never wrong) with a line naming it. Entries without a time get
  1980-01-01 00:00 UTC, so that the same sources give the same ETag.

Output:
  -v, --verbose        one line per entry as it is written, instead of the bar,
                       as zip prints them: "  adding: a.txt (deflated 61%)"
  --no-progress        no progress display; the summary line is still printed
  -q, --quiet          print nothing but errors (not with -v)
  -h, --help           show this help and exit
  --version            show the version and exit

Progress goes to stderr: a bar when it is a terminal, a plain line every few
seconds otherwise, then a one-line summary.

Signals: the first Ctrl-C (SIGINT) or SIGTERM says what it does and does it:
removes the incomplete file, aborts the upload (keeps it with --resume); a
second one exits at once, saying what is left: an upload stays pending, in
the journal, for zipstream cleanup.

Exit status:
  0    the archive was written completely; an S3 object the server stored but
       that could not be checked gets a warning line saying what was not
  1    failure (a missing path, an unreadable one with --strict, a write or
       upload error); the line after the error says what became of the
       target, as checked: the incomplete file removed, or nothing stored and
       the upload aborted, or the upload ID still pending (kept with --resume,
       or its abort unconfirmed: run zipstream cleanup); for cleanup: an
       upload that could not be shown gone
  2    usage error
  18   the archive was written without the files or directories that could
       not be read, each named by a warning line (zip's "could not open a
       specified file to read"); the summary, unless --quiet, says how many
  75   paused at --max-time: the upload is kept for --resume; run the same
       command again to continue
  130  interrupted by SIGINT (Ctrl-C), 143 terminated by SIGTERM; cleaned up
       as for 1, unless a second signal came first; how zipstream serve
       ends
`;
