"""Reference run: CPython's zipfile writing one job's archive to stdout.

Run as `python3 bench/_zipfile_worker.py ARGS | cat > /dev/null`: stdout is a
pipe, so zipfile takes its unseekable path (data descriptors), like a
streaming writer. The same arguments as bench/_compare_worker.ts; the result
line (JSON) goes to stderr because stdout carries the archive.
"""

import argparse
import json
import re
import sys
import time
import zipfile

MTIME = (2026, 1, 1, 0, 0, 0)
ZIP64_LIMIT = (1 << 31) - 1


def peak_rss():
    with open("/proc/self/status") as status:
        return int(re.search(r"^VmHWM:\s+(\d+) kB$", status.read(), re.M).group(1)) * 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--peer", default="python-zipfile")
    parser.add_argument("--pool", default="random")
    parser.add_argument("--pools-dir", required=True)
    parser.add_argument("--shape", default="stream")
    parser.add_argument("--entries", type=int, default=1)
    parser.add_argument("--entry-size", type=int, default=1 << 20)
    parser.add_argument("--method", default="store")
    parser.add_argument("--level", type=int, default=6)
    parser.add_argument("--declare-size", action="store_true")
    parser.add_argument("--chunk", type=int, default=65536)
    args = parser.parse_args()

    with open(f"{args.pools_dir}/{'text' if args.pool == 'text' else 'random'}.bin", "rb") as f:
        pool = memoryview(f.read())
    method = zipfile.ZIP_DEFLATED if args.method == "deflate" else zipfile.ZIP_STORED
    extension = "log" if args.method == "deflate" else "bin"
    span = max(1, len(pool) - args.entry_size)
    out = sys.stdout.buffer
    counter = {"bytes": 0}

    class Counting:
        """The pipe, counted: zipfile asks tell() of unseekable streams too."""

        def write(self, data):
            counter["bytes"] += len(data)
            return out.write(data)

        def flush(self):
            out.flush()

    start = time.perf_counter()
    if args.peer == "input":
        # The floor: read the input and nothing else.
        for i in range(args.entries):
            first = (i * 1_048_583) % span
            if args.shape == "buffer":
                counter["bytes"] += len(pool[first:first + args.entry_size])
                continue
            offset, left = first, args.entry_size
            while left > 0:
                length = min(args.chunk, left, len(pool) - offset)
                counter["bytes"] += len(pool[offset:offset + length])
                left -= length
                offset = (offset + length) % len(pool)
        finish(args, start, counter)
        return
    with zipfile.ZipFile(Counting(), "w", compression=method, compresslevel=args.level) as archive:
        for i in range(args.entries):
            first = (i * 1_048_583) % span
            info = zipfile.ZipInfo(f"data/{i}.{extension}", date_time=MTIME)
            info.compress_type = method
            # A ZipInfo does not inherit the archive's compresslevel; 3.13
            # renamed the slot compress_level and kept this name as an alias.
            info._compresslevel = args.level
            if args.shape == "buffer":
                archive.writestr(info, pool[first:first + args.entry_size])
                continue
            if args.declare_size:
                info.file_size = args.entry_size
            force = not args.declare_size and args.entry_size > ZIP64_LIMIT
            with archive.open(info, "w", force_zip64=force) as member:
                offset, left = first, args.entry_size
                while left > 0:
                    length = min(args.chunk, left, len(pool) - offset)
                    member.write(pool[offset:offset + length])
                    left -= length
                    offset = (offset + length) % len(pool)
    out.flush()
    finish(args, start, counter)


def finish(args, start, counter):
    seconds = time.perf_counter() - start
    print(json.dumps({
        "seconds": seconds,
        "bytesIn": args.entries * args.entry_size,
        "bytesOut": counter["bytes"],
        "peakRss": peak_rss(),
    }), file=sys.stderr)


main()
