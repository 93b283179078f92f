"""pyjsv against msgspec.json and orjson, in one process, on the same data.

    python bench/pyjsv_bench.py [--repeat 15]

Cases: (a) one AISessionInfo, (b) a list of 1,000, (c) a nested mixed object. Encode and typed
decode (orjson decodes untyped; it has no typed mode). Prints the median time of `--repeat` runs
and the ratio to msgspec.json; the machine is noisy, so only medians are quoted. Nothing here
asserts a speed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import orjson

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "codecs")]
import pyjsv  # noqa: E402


class AISessionInfo(msgspec.Struct, rename="camel", omit_defaults=True):
    account_id: str | None = None
    account_name: str | None = None
    purpose: str | None = None
    id: str | None = None
    date_created: str | None = None
    date_last_modified: str | None = None
    created_by: str | None = None
    last_modified_by: str | None = None


class Reading(msgspec.Struct, rename="camel"):
    sensor: str
    values: list[float]
    at: dt.datetime
    tags: dict[str, str]
    ok: bool = True


class Batch(msgspec.Struct, rename="camel"):
    name: str
    count: int
    readings: list[Reading]
    info: AISessionInfo | None = None


def info(i: int) -> AISessionInfo:
    return AISessionInfo(
        account_id=f"{i:032x}",
        account_name="Acme Voice, Inc.",
        purpose="support",
        id=f"{i * 7:032x}",
        date_created="2026-11-24T10:00:00.000000Z",
        date_last_modified="2026-11-24T11:00:00.000000Z",
        created_by=f"{i * 3:032x}",
        last_modified_by=f"{i * 5:032x}",
    )


def nested() -> Batch:
    at = dt.datetime(2026, 11, 24, 10, 30, 15, 250000, tzinfo=dt.UTC)
    readings = [
        Reading(sensor=f"s{i}", values=[i * 0.5, i * 1.25, -i / 3], at=at, tags={"room": f"r{i}", "k": "a:b"})
        for i in range(50)
    ]
    return Batch(name="batch [1]", count=50, readings=readings, info=info(1))


CASES: list[tuple[str, Any, Any]] = [
    ("one AISessionInfo", info(1), AISessionInfo),
    ("1,000 AISessionInfo", [info(i) for i in range(1000)], list[AISessionInfo]),
    ("nested mixed object", nested(), Batch),
]


def median_seconds(fn: Callable[[], Any], repeat: int) -> float:
    # Enough inner loops that one sample lasts ~20 ms, so timer resolution does not matter.
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(0.02 / once))
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - start) / loops)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"median of {args.repeat} runs, Python {sys.version.split()[0]}, pyjsv {pyjsv.__version__}")
    print(f"{'case':<22}{'op':<8}{'library':<14}{'median µs':>12}{'x msgspec':>11}")
    for name, value, tp in CASES:
        json_bytes = msgspec.json.encode(value)
        jsv_bytes = pyjsv.encode(value)
        assert pyjsv.decode(jsv_bytes, type=tp) == value
        encoders = {
            "msgspec.json": lambda v=value: msgspec.json.encode(v),
            "orjson": lambda v=value: orjson.dumps(v, default=msgspec.to_builtins),
            "pyjsv": lambda v=value: pyjsv.encode(v),
        }
        json_decoder = msgspec.json.Decoder(tp)
        decoders = {
            "msgspec.json": lambda d=json_decoder, b=json_bytes: d.decode(b),
            "orjson": lambda b=json_bytes: orjson.loads(b),
            "pyjsv": lambda b=jsv_bytes, t=tp: pyjsv.decode(b, type=t),
        }
        for op, fns in (("encode", encoders), ("decode", decoders)):
            times = {lib: median_seconds(fn, args.repeat) for lib, fn in fns.items()}
            for lib, seconds in times.items():
                ratio = seconds / times["msgspec.json"]
                print(f"{name:<22}{op:<8}{lib:<14}{seconds * 1e6:>12.1f}{ratio:>10.1f}x")


if __name__ == "__main__":
    main()
