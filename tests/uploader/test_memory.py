"""Peak memory of a multipart upload does not grow with the file or the part size: a 2 GiB
file in 250 MiB parts, 4 at a time, validated and uploaded in a fresh process.

Two numbers: the uploading process's own peak (VmHWM, exact), and the peak of its process
tree (sampled by ``benchmarks.measure``), which adds the validator's worker processes.

Opt-in (``pytest -m slow``): it writes 2 GiB to the temporary directory and the server keeps
the parts and the assembled file, so it needs about 6 GiB of disk and a minute or two.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from benchmarks.measure import run
from tests.peak import measured, peak_of
from tests.uploader.conftest import KEY, _generate
from uploader.server import LocalServer

LIMIT_MB = 150

_PROBE = """
import sys
from uploader import FilesClient, PollPolicy, upload
path, base_url, key = sys.argv[1:4]
with FilesClient(key, base_url) as client:
    result = upload(path, client=client, multipart_threshold=5 * 2**20,
                    poll=PollPolicy(0.2, 1.5, 2.0, 900))
print(result.status, result.multipart)
"""


@pytest.mark.slow
def test_2gb_multipart_upload_stays_under_the_memory_limit(tmp_path: Path) -> None:
    path = _generate(tmp_path / "big.jsonl", 2 * 2**30)
    with LocalServer(api_key=KEY) as server:
        done = run([sys.executable, "-c", measured(_PROBE), str(path), server.base_url, KEY],
                   timeout=900)
        assert done.returncode == 0, done.stderr
        found, peak = peak_of(done.stdout)
        status, multipart = found.split()
        assert (status, multipart) == ("COMPLETED", "True")
        assert len(server.requests("part")) == 9  # 2 GiB in 250 MiB parts
        assert server.journal.peak("part") == 4
    print(f"2 GiB multipart upload: uploading process peak {peak} MB, process tree peak "
          f"{done.peak_rss_mb:.0f} MB over {done.processes} processes, {done.wall_s:.0f} s")
    assert peak < LIMIT_MB, f"peak RSS {peak} MB"
    assert done.peak_rss_mb < LIMIT_MB, f"process tree peak RSS {done.peak_rss_mb:.0f} MB"
