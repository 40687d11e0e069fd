#!/usr/bin/env python3
"""Runs a command with its standard input and standard error on a
pseudo-terminal, answers each prompt it shows there, and writes everything
it drew on the terminal to standard output, exiting with its exit code.

Usage: python3 _pty_prompt.py ANSWERS_JSON COMMAND...
  ANSWERS_JSON a JSON list of [prompt, answer] pairs: once the terminal
  shows the prompt, the answer is typed (a carriage return ends it).
"""

import json
import os
import pty
import select
import subprocess
import sys
import time


def main() -> int:
    answers = json.loads(sys.argv[1])
    command = sys.argv[2:]
    terminal, slave = pty.openpty()
    child = subprocess.Popen(command, stdin=slave, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    screen = b""
    answered = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        readable, _, _ = select.select([terminal], [], [], 0.05)
        if readable:
            try:
                data = os.read(terminal, 4096)
            except OSError:
                data = b""
            if not data:
                break
            screen += data
        if answered < len(answers):
            prompt, answer = answers[answered]
            if screen.count(prompt.encode()) > sum(1 for p, _ in answers[:answered] if p == prompt):
                os.write(terminal, answer.encode() + b"\r")
                answered += 1
        elif child.poll() is not None and not readable:
            break
    code = child.wait(timeout=60)
    sys.stdout.buffer.write(screen)
    return code


if __name__ == "__main__":
    sys.exit(main())
