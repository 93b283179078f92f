"""The seed page's PatchAISession samples (fixtures/seed/) in every format: the codecs write them
byte for byte, read them back, and `evo-gateway convert` turns each into every other exactly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pyjsv
import pytest
from wirecodecs import default_registry

from gateway.dtos import AISessionInfo, PatchAISession
from gateway.transcode import transcode

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "fixtures" / "seed"
FORMATS = ("json", "jsv", "xml", "csv")
SAMPLES: dict[str, tuple[type[msgspec.Struct], msgspec.Struct]] = {
    "request": (PatchAISession, PatchAISession(session_id="String", purpose="String")),
    "response": (
        AISessionInfo,
        AISessionInfo(
            account_id="String",
            account_name="String",
            purpose="String",
            id="String",
            date_created="String",
            date_last_modified="String",
            created_by="String",
            last_modified_by="String",
        ),
    ),
}
registry = default_registry()


def seed(kind: str, fmt: str) -> bytes:
    return (SEED / f"PatchAISession.{kind}.{fmt}").read_bytes()


def test_the_json_samples_are_the_pages_own() -> None:
    assert seed("request", "json") == b'{"sessionId":"String","purpose":"String"}'
    assert seed("response", "json") == (
        b'{"accountId":"String","accountName":"String","purpose":"String","id":"String",'
        b'"dateCreated":"String","dateLastModified":"String","createdBy":"String","lastModifiedBy":"String"}'
    )


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("kind", SAMPLES)
def test_each_codec_writes_the_sample_byte_for_byte_and_reads_it_back(kind: str, fmt: str) -> None:
    dto_type, dto = SAMPLES[kind]
    codec = registry.by_format(fmt)
    assert codec is not None
    assert codec.encode(dto) == seed(kind, fmt)
    assert codec.decode(seed(kind, fmt), dto_type) == dto


def test_the_jsv_samples_pretty_printed_are_the_seed_pages_blocks() -> None:
    page = (REPO / "fixtures" / "types" / "PatchAISession.jsv-samples.txt").read_text()
    for kind in SAMPLES:
        block = pyjsv.format(seed(kind, "jsv").decode())
        assert "\n" + block + "\n" in page.replace("\r\n", "\n") + "\n", block


@pytest.mark.parametrize("target", FORMATS)
@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("kind", SAMPLES)
def test_convert_turns_each_format_into_every_other_exactly(kind: str, source: str, target: str) -> None:
    dto_type = SAMPLES[kind][0]
    done = transcode(seed(kind, source), source=source, target=target, type_name=dto_type.__name__, registry=registry)
    assert done.output == seed(kind, target) and done.matched


def test_the_convert_command_does_the_same_on_stdin_and_stdout() -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "codecs")])}
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "convert", "--from", "xml", "--to", "csv", "--type", "AISessionInfo"],
        input=seed("response", "xml"),
        capture_output=True,
        env=env,
        timeout=60,
        check=True,
    )
    # CSV rows end in CRLF, so the command adds no newline of its own.
    assert done.stdout == seed("response", "csv")
