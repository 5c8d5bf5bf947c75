"""RELIABILITY.md I3: coverage-guided fuzzing (atheris) of request and event decoding.

Each target of ``atheris_harness.py`` (requests: every RPC's request bytes through its
servicer's validation; events: topic bytes through the consumer's contract decoding;
stored: stored-event states of every version through each service's mapper and upcasters)
runs in a process of its own for a bounded time. Pass: libFuzzer ends normally (exit 0),
no crash, timeout or out-of-memory artifact is written. Executions and exec/s are recorded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from contracts import registry
from contracts.envelope import Envelope
from tests.faults.results import full_scale, record, size

pytestmark = pytest.mark.fuzz

HARNESS = Path(__file__).with_name("atheris_harness.py")
SECONDS = size(6, 300)
"""CI: the three targets share one process (start-up under load is 7-15 s); full: one each."""
TARGETS = ["requests", "events", "stored"] if full_scale() else ["all"]


def _dictionary(path: Path) -> Path:
    """Tokens of the envelope and the contracts, so mutations speak the messages' JSON."""
    tokens = {"{", "}", "[", "]", ":", ",", "null", "true", "false", '""', "-1", "1e999"}
    tokens |= {f'"{name}"' for name in Envelope.model_fields}
    for (event_type, _), model in registry._MODELS.items():
        tokens.add(f'"{event_type}"')
        tokens |= {f'"{name}"' for name in model.model_fields}
    lines = [
        f'"{t.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for t in sorted(tokens)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("target", TARGETS)
def test_i3_atheris_finds_no_crash_or_hang(target: str, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    args = [
        sys.executable,
        str(HARNESS),
        str(corpus),
        f"-max_total_time={SECONDS}",
        "-rss_limit_mb=2048",
        "-timeout=10",
        "-max_len=8192",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
    ]
    if target != "requests":
        args.append(f"-dict={_dictionary(tmp_path / 'json.dict')}")
    done = subprocess.run(
        args,
        env={**os.environ, "FUZZ_TARGET": target, "PYTHONPATH": str(HARNESS.parents[2])},
        capture_output=True,
        text=True,
        timeout=SECONDS + 120,
        cwd=tmp_path,
        check=False,
    )
    out = done.stderr + done.stdout
    crashes = sorted(p.name for p in artifacts.iterdir())
    runs = re.search(r"stat::number_of_executed_units:\s+(\d+)", out)
    rate = re.search(r"stat::average_exec_per_sec:\s+(\d+)", out)
    cov = re.findall(r"cov: (\d+)", out)
    record(
        "I3",
        f"test_i3_atheris[{target}]",
        target=target,
        seconds=SECONDS,
        runs=int(runs.group(1)) if runs else 0,
        exec_per_s=int(rate.group(1)) if rate else 0,
        coverage_edges=int(cov[-1]) if cov else 0,
        corpus_files=len(list(corpus.iterdir())) if corpus.exists() else 0,
        crashes=len(crashes),
        exit_code=done.returncode,
    )
    assert done.returncode == 0, out[-6000:]
    assert not crashes, f"{crashes}\n{out[-6000:]}"
    assert runs and int(runs.group(1)) > 1000, out[-3000:]
