"""The schemas load from an installed wheel, not only from a checkout.

The wheel is built and installed (without dependencies, offline) into a fresh venv. ftdata's
third-party dependencies are not downloaded again: a ``.pth`` file lends the fresh venv the
test venv's site-packages, whose ``.pth`` files (among them the editable install of this
checkout) are not processed there, so ``validator`` can only come from the wheel; the test
checks that it does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.property.test_schemas import EXPECTED_NAMES, ROOT, build_wheel

CHECK = """
import json, sys
import validator, validator.schemas as s
assert {root!r} not in validator.__file__, validator.__file__
assert validator.__file__.startswith(sys.prefix), validator.__file__
assert not any(p.rstrip("/") == {root!r} for p in sys.path), sys.path
names = s.names()
for n in names:
    assert s.load(n)["$id"].endswith(n + ".json")
    assert all(not ref.split("#")[0] for ref in json.dumps(s.bundle(n)).split('"$ref": "')[1:])
print(" ".join(names))
"""


def test_installed_wheel_loads_the_schemas(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path / "dist")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        check=True, capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    Path(site, "ftdata-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run(
        [str(python), "-c", CHECK.format(root=str(ROOT))],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == EXPECTED_NAMES

    cli = subprocess.run([str(venv / "bin" / "ftdata"), "schema", "conversation"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert cli.returncode == 0, cli.stderr
    assert '"$id": "https://ftdata.dev/schemas/conversation.json"' in cli.stdout
    rules = subprocess.run([str(venv / "bin" / "ftdata"), "rules"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert rules.returncode == 0, rules.stderr
    assert rules.stdout.startswith("file-unreadable ")
