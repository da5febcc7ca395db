"""The quarantine split: every input line in exactly one output, clean lines byte-identical."""

from __future__ import annotations

import gzip
import io
import random
import sys
from pathlib import Path

import orjson
import pytest

from validator.cli.main import main
from validator.config import Config
from validator.errors import UsageError
from validator.run import forkpool, parallel
from validator.run.records import check_records
from validator.run.route import FileRouter
from validator.run.split import sidecar_path, split_file, split_stream

GOOD = [
    orjson.dumps({"messages": [{"role": "user", "content": f"q{i} é ✓"},
                               {"role": "assistant", "content": f"a{i}"}]})
    for i in range(20)
]
BAD = [b"not json", b"[1, 2]", b'{"messages": []}', b'{"text": "wrong format"}',
       b'{"messages": [{"role": "bot", "content": "x"}]}', b"", b"   ", b'{"messages": [{"ro',
       b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}\r']


def make(path: Path, n: int, seed: int, *, bad_share: float = 0.2, final_newline: bool = True,
         head: bytes = b"") -> list[bytes]:
    rng = random.Random(seed)
    lines = [head + GOOD[0]] + [rng.choice(BAD) if rng.random() < bad_share else rng.choice(GOOD)
                                for _ in range(n - 1)]
    path.write_bytes(b"\n".join(lines) + (b"\n" if final_newline else b""))
    return lines


def read_lines(path: Path) -> list[bytes]:
    data = path.read_bytes()
    assert not data or data.endswith(b"\n")
    return data.split(b"\n")[:-1]


def assert_accounted(lines: list[bytes], clean: Path, rejected: Path) -> list[int]:
    """Every input line is in exactly one output, in order; returns the rejected line numbers."""
    side = [orjson.loads(x) for x in read_lines(Path(sidecar_path(str(rejected))))]
    bad_numbers = [entry["line"] for entry in side]
    assert bad_numbers == sorted(set(bad_numbers))
    assert all(entry["codes"] and entry["issues"] for entry in side)
    rejected_lines = read_lines(rejected)
    assert len(rejected_lines) == len(bad_numbers)
    bad = set(bad_numbers)
    expect_clean = [line for n, line in enumerate(lines, 1) if n not in bad]
    expect_rejected = [line for n, line in enumerate(lines, 1) if n in bad]
    assert read_lines(clean) == [line.removeprefix(b"\xef\xbb\xbf") for line in expect_clean]
    assert rejected_lines == expect_rejected
    return bad_numbers


def test_split_accounts_for_every_line(tmp_path: Path) -> None:
    lines = make(tmp_path / "in.jsonl", 2000, seed=1)
    report, result = split_file(tmp_path / "in.jsonl", tmp_path / "clean.jsonl",
                                tmp_path / "rejected.jsonl")
    bad = assert_accounted(lines, tmp_path / "clean.jsonl", tmp_path / "rejected.jsonl")
    assert not report.valid
    assert result.counts.lines == 2000
    assert result.counts.rejected == len(bad)
    assert result.counts.clean + result.counts.rejected == 2000
    again = split_file(tmp_path / "clean.jsonl", tmp_path / "c2.jsonl", tmp_path / "r2.jsonl")[0]
    assert again.valid, again.issues  # the clean output passes on its own


@pytest.mark.parametrize("fork", [True, False], ids=["forkpool", "process pool"])
def test_workers_write_the_same_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        fork: bool) -> None:
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 12)
    # forkpool is used on Linux with one thread (the Dask tests leave some): both ways here
    monkeypatch.setattr(forkpool, "available", lambda: fork and sys.platform == "linux")
    lines = make(tmp_path / "in.jsonl", 3000, seed=2, final_newline=False)
    one = split_file(tmp_path / "in.jsonl", tmp_path / "c1.jsonl", tmp_path / "r1.jsonl",
                     workers=1)[0]
    two = split_file(tmp_path / "in.jsonl", tmp_path / "c2.jsonl", tmp_path / "r2.jsonl",
                     workers=2)[0]
    assert two == one
    for a, b in (("c1.jsonl", "c2.jsonl"), ("r1.jsonl", "r2.jsonl"),
                 ("r1.issues.jsonl", "r2.issues.jsonl")):
        assert (tmp_path / a).read_bytes() == (tmp_path / b).read_bytes()
    assert_accounted(lines, tmp_path / "c2.jsonl", tmp_path / "r2.jsonl")


def test_compressed_input_and_stdin(tmp_path: Path) -> None:
    lines = make(tmp_path / "in.jsonl", 500, seed=3)
    data = (tmp_path / "in.jsonl").read_bytes()
    (tmp_path / "in.jsonl.gz").write_bytes(gzip.compress(data))
    split_file(tmp_path / "in.jsonl.gz", tmp_path / "c.jsonl", tmp_path / "r.jsonl")
    assert_accounted(lines, tmp_path / "c.jsonl", tmp_path / "r.jsonl")
    split_stream(io.BytesIO(data), tmp_path / "c3.jsonl", tmp_path / "r3.jsonl", "in.jsonl")
    assert (tmp_path / "c3.jsonl").read_bytes() == (tmp_path / "c.jsonl").read_bytes()


def test_overlong_lines_are_streamed_to_rejected(tmp_path: Path) -> None:
    long_line = b'{"text": "' + b"x" * 5000 + b'"}'
    lines = [GOOD[0], long_line, GOOD[1], long_line]
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(lines))
    config = Config(max_line_bytes=1000)
    split_file(tmp_path / "in.jsonl", tmp_path / "c.jsonl", tmp_path / "r.jsonl", config=config)
    assert assert_accounted(lines, tmp_path / "c.jsonl", tmp_path / "r.jsonl") == [2, 4]


def test_bom_is_left_out_of_the_clean_file(tmp_path: Path) -> None:
    lines = make(tmp_path / "in.jsonl", 50, seed=4, head=b"\xef\xbb\xbf")
    report, _ = split_file(tmp_path / "in.jsonl", tmp_path / "c.jsonl", tmp_path / "r.jsonl")
    assert "bom" in report.by_code
    assert 1 not in assert_accounted(lines, tmp_path / "c.jsonl", tmp_path / "r.jsonl")
    assert (tmp_path / "c.jsonl").read_bytes().startswith(b"{")


def test_refuses_to_overwrite_the_input(tmp_path: Path) -> None:
    make(tmp_path / "in.jsonl", 10, seed=5)
    before = (tmp_path / "in.jsonl").read_bytes()
    with pytest.raises(UsageError, match="refusing to overwrite the input"):
        split_file(tmp_path / "in.jsonl", tmp_path / "in.jsonl", tmp_path / "r.jsonl")
    with pytest.raises(UsageError, match="refusing to overwrite the input"):
        split_file(tmp_path / "in.jsonl", tmp_path / "c.jsonl", tmp_path / "in.jsonl")
    (tmp_path / "link.jsonl").symlink_to(tmp_path / "in.jsonl")
    with pytest.raises(UsageError, match="refusing to overwrite the input"):
        split_file(tmp_path / "in.jsonl", tmp_path / "link.jsonl", tmp_path / "r.jsonl")
    with pytest.raises(UsageError, match="three different files"):
        split_file(tmp_path / "in.jsonl", tmp_path / "x.jsonl", tmp_path / "x.jsonl")
    assert (tmp_path / "in.jsonl").read_bytes() == before


def test_a_crash_leaves_no_output_and_no_partial_file(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path / "in.jsonl", 100, seed=6)
    (tmp_path / "c.jsonl").write_bytes(b"previous complete output\n")
    real = FileRouter.finish
    seen = []

    def crash(self: FileRouter, *args: object) -> None:
        seen.append(1)
        if len(seen) == 50:
            raise RuntimeError("disk on fire")
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(FileRouter, "finish", crash)
    with pytest.raises(RuntimeError):
        split_file(tmp_path / "in.jsonl", tmp_path / "c.jsonl", tmp_path / "r.jsonl")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.jsonl", "in.jsonl"]
    assert (tmp_path / "c.jsonl").read_bytes() == b"previous complete output\n"


def test_cli_split(tmp_path: Path) -> None:
    lines = make(tmp_path / "in.jsonl", 300, seed=7)
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(tmp_path / "in.jsonl"), "--split", str(tmp_path / "c.jsonl"),
                 str(tmp_path / "r.jsonl")], stdout=out, stderr=err)
    assert code == 1
    bad = assert_accounted(lines, tmp_path / "c.jsonl", tmp_path / "r.jsonl")
    assert (f"split 300 lines of {tmp_path / 'in.jsonl'}: {300 - len(bad)} clean -> "
            f"{tmp_path / 'c.jsonl'}, {len(bad)} rejected") in err.getvalue()
    code = main(["validate", "-", "--split", str(tmp_path / "c2.jsonl"),
                 str(tmp_path / "r2.jsonl")],
                stdout=out, stderr=err, stdin=io.BytesIO((tmp_path / "in.jsonl").read_bytes()))
    assert code == 1
    assert (tmp_path / "c2.jsonl").read_bytes() == (tmp_path / "c.jsonl").read_bytes()
    err = io.StringIO()
    assert main(["validate", "a.jsonl", "b.jsonl", "--split", "c", "r"], stdout=out,
                stderr=err) == 2
    assert "exactly one input" in err.getvalue()


def test_check_records_gives_the_split_verdicts(tmp_path: Path) -> None:
    lines = make(tmp_path / "in.jsonl", 700, seed=8)
    split_file(tmp_path / "in.jsonl", tmp_path / "c.jsonl", tmp_path / "r.jsonl")
    side = [orjson.loads(x) for x in read_lines(tmp_path / "r.issues.jsonl")]
    records = [orjson.loads(line) if line.startswith(b"{") and line.endswith(b"}") else line
               for line in lines]
    verdicts = list(check_records(records, batch=64))
    assert [v.line for v in verdicts] == list(range(1, 701))
    assert {v.line for v in verdicts if not v.ok} == {e["line"] for e in side}
    assert all(v.record is r for v, r in zip(verdicts, records, strict=True))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_whole_file_json_document_is_rejected_whole(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      workers: int) -> None:
    """A pretty-printed JSON document is one file-level error in the report, and every one of
    its lines goes to REJECTED: none is a sample, though some parse as objects on their own."""
    monkeypatch.setattr(parallel, "MIN_CHUNK_BYTES", 1 << 10)
    samples = [{"messages": [{"role": "user", "content": f"q{i}"},
                             {"role": "assistant", "content": f"a{i}"}]} for i in range(200)]
    text = orjson.dumps(samples, option=orjson.OPT_INDENT_2) + b"\n"
    source = tmp_path / "pretty.jsonl"
    source.write_bytes(text)
    report, result = split_file(source, tmp_path / "clean.jsonl", tmp_path / "rejected.jsonl",
                                workers=workers)
    assert [(i.line, i.code) for i in report.issues] == [(None, "file-json-document")]
    assert (tmp_path / "clean.jsonl").read_bytes() == b""
    assert (tmp_path / "rejected.jsonl").read_bytes() == text
    assert result.counts.rejected == result.counts.lines == text.count(b"\n")


@pytest.mark.parametrize(("suffix", "magic"), [(".gz", b"\x1f\x8b"), (".zst", b"\x28\xb5\x2f\xfd")])
def test_outputs_are_compressed_as_their_names_say(tmp_path: Path, suffix: str,
                                                   magic: bytes) -> None:
    lines = make(tmp_path / "in.jsonl", 300, seed=11)
    clean, rejected = tmp_path / f"c.jsonl{suffix}", tmp_path / f"r.jsonl{suffix}"
    _, result = split_file(tmp_path / "in.jsonl", clean, rejected)
    assert result.sidecar == str(tmp_path / f"r.issues.jsonl{suffix}")
    for path in (clean, rejected, Path(result.sidecar)):
        assert path.read_bytes().startswith(magic), path
    plain = {}
    for path in (clean, rejected, Path(result.sidecar)):
        if suffix == ".gz":
            data = gzip.decompress(path.read_bytes())
        else:
            import zstandard

            data = zstandard.ZstdDecompressor().stream_reader(path.read_bytes()).read()
        plain[path] = tmp_path / "plain" / path.name.removesuffix(suffix)
        plain[path].parent.mkdir(exist_ok=True)
        plain[path].write_bytes(data)
    assert_accounted(lines, plain[clean], plain[rejected])
    # and ftdata reads its own output back
    out = io.StringIO()
    assert main(["validate", str(clean)], stdout=out, stderr=io.StringIO()) == 0, out.getvalue()


def test_sidecar_names() -> None:
    assert sidecar_path("r.jsonl") == "r.issues.jsonl"
    assert sidecar_path("r.jsonl.gz") == "r.issues.jsonl.gz"
    assert sidecar_path("r.jsonl.zst") == "r.issues.jsonl.zst"
    assert sidecar_path("rejected") == "rejected.issues.jsonl"


@pytest.mark.parametrize("name", ["c.jsonl.bz2", "c.jsonl.xz", "c.parquet", "c.csv"])
def test_an_output_name_promising_another_format_is_refused(tmp_path: Path, name: str) -> None:
    make(tmp_path / "in.jsonl", 10, seed=12)
    err = io.StringIO()
    code = main(["validate", str(tmp_path / "in.jsonl"), "--split", str(tmp_path / name),
                 str(tmp_path / "r.jsonl")], stdout=io.StringIO(), stderr=err)
    assert code == 2
    assert f"cannot write {tmp_path / name}" in err.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
