#!/usr/bin/env python3
"""Reads a JSON array of strings on standard input and writes the cells each
takes on a terminal, as a JSON array, by Python's own Unicode tables: East
Asian Wide and Fullwidth characters take two cells, combining marks and
format characters none, everything else one. The progress tests measure the
lines zipstream draws with it, independently of zipstream's own count.
"""

import json
import sys
import unicodedata


def cells(text: str) -> int:
    width = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


json.dump([cells(text) for text in json.load(sys.stdin)], sys.stdout)
