#!/usr/bin/env python3
"""Runs a command with its standard error on a pseudo-terminal of a given
size, as when a user watches it, and its standard output on a pipe read no
faster than a given rate: the command's output then paces its work, so a run
draws many progress frames on any machine.

Usage: python3 _pty_run.py COLUMNS ROWS BYTES_PER_SECOND RESIZE COMMAND...
  BYTES_PER_SECOND 0 reads standard output as fast as it comes.
  RESIZE "BYTES:COLUMNS" gives the terminal COLUMNS once BYTES of standard
  output were read, as a user resizing the window; "-" never.

Writes what the command drew on the terminal, byte for byte, to standard
output, and exits with the command's exit code. A resize is marked there
by RESIZED, after everything drawn before it.
"""

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time

CHUNK = 16 * 1024
RESIZED = b"\n[terminal resized]\n"


def set_size(fd: int, rows: int, columns: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def drain(fd: int) -> bytes:
    """What the terminal holds now, without waiting for more."""
    data = b""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, CHUNK)
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    return data


def main() -> int:
    columns, rows, rate = (int(value) for value in sys.argv[1:4])
    resize = None if sys.argv[4] == "-" else [int(value) for value in sys.argv[4].split(":")]
    command = sys.argv[5:]
    terminal, slave = pty.openpty()
    set_size(slave, rows, columns)
    child = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave
    )
    os.close(slave)
    output = child.stdout.fileno()
    screen = bytearray()
    # The pace counts from the first byte of output, not from the spawn: a
    # start-up slowed by a busy machine must not bank an allowance that the
    # run then spends at once, in a few frames.
    started = None
    consumed = 0
    readers = {terminal, output}
    while readers:
        # The output may be read only as far as the rate allows by now.
        if rate == 0:
            allowed = CHUNK
        elif started is None:
            allowed = 1
        else:
            allowed = int((time.monotonic() - started) * rate) - consumed
        ready = [fd for fd in readers if fd != output or allowed > 0]
        readable, _, _ = select.select(ready, [], [], 0.01)
        for fd in readable:
            try:
                data = os.read(fd, CHUNK if fd == terminal else min(CHUNK, allowed))
            except OSError:
                # EIO: every holder of the terminal's other end has closed it.
                data = b""
            if not data:
                readers.discard(fd)
            elif fd == terminal:
                screen += data
            else:
                if started is None:
                    started = time.monotonic()
                consumed += len(data)
                if resize is not None and consumed >= resize[0]:
                    # Whatever is drawn after the mark was drawn after the
                    # resize, but for a frame already on its way.
                    screen += drain(terminal) + RESIZED
                    set_size(terminal, rows, resize[1])
                    resize = None
    code = child.wait()
    sys.stdout.buffer.write(screen)
    return code


if __name__ == "__main__":
    sys.exit(main())
