"""`python -m pyjsv`: JSON on stdin → JSV on stdout; `--decode`: JSV → JSON; `--pretty`: the
JsvFormatter form. Exit status 1 with a one-line message on bad input."""

from __future__ import annotations

import argparse
import json
import sys

from . import DecodeError, dumps, format, loads


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pyjsv", description="Convert JSON to JSV and back.")
    parser.add_argument("--decode", action="store_true", help="read JSV, write JSON (untyped: strings, lists, maps)")
    parser.add_argument("--pretty", action="store_true", help="write JSV in ServiceStack's Dump() layout")
    args = parser.parse_args(argv)
    text = sys.stdin.read()
    try:
        if args.decode:
            out = json.dumps(loads(text.rstrip("\r\n")), ensure_ascii=False)
        else:
            out = dumps(json.loads(text))
            if args.pretty:
                out = format(out)
    except (DecodeError, json.JSONDecodeError) as exc:
        print(f"pyjsv: error: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(out + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
