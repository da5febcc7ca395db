"""The floor loops, run with ``python -c``: nothing to import but orjson, so their start-up is
the interpreter's."""

from __future__ import annotations

__all__ = ["FLOOR", "FLOOR_PARALLEL"]

# The floor: the least any line-by-line JSONL checker must do. Reads in binary like ftdata, and
# with a 1 MiB buffer: with the default 8 KiB one it is about 1.15x slower, a soft floor.
FLOOR = """
import sys
import orjson
loads = orjson.loads
n = 0
with open(sys.argv[1], "rb", buffering=1 << 20) as handle:
    for line in handle:
        loads(line)
        n += 1
print(n)
"""

# The floor on all cores: the file cut at newlines into one range per process, the ranges read
# at once (this process and forked children, as ftdata's workers do), so that what two workers
# give over one can be read against what the machine gives a plain loop.
FLOOR_PARALLEL = """
import os
import sys
import orjson
loads = orjson.loads
path, parts = sys.argv[1], int(sys.argv[2])
size = os.path.getsize(path)
bounds = [0]
with open(path, "rb") as handle:
    for k in range(1, parts):
        handle.seek(max(size * k // parts - 1, bounds[-1]))
        handle.readline()
        bounds.append(min(max(handle.tell(), bounds[-1]), size))
bounds.append(size)
def scan(start, end):
    n = 0
    with open(path, "rb", buffering=1 << 20) as handle:
        handle.seek(start)
        for line in handle:
            if start >= end:
                break
            start += len(line)
            loads(line)
            n += 1
    return n
children = []
for k in range(1, parts):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, str(scan(bounds[k], bounds[k + 1])).encode())
        os._exit(0)
    os.close(write)
    children.append((pid, read))
n = scan(bounds[0], bounds[1])
for pid, read in children:
    with os.fdopen(read, "rb") as handle:
        n += int(handle.read())
    os.waitpid(pid, 0)
print(n)
"""
