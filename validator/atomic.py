"""Writing outputs whole or not at all, beside their targets (``--split``, ``report -o``,
``--output-file``).

Every output is written into a hidden folder that :func:`tempfile.mkdtemp` makes in its
target's folder (``.clean.jsonl.ftdata-k2j3h4/``: a random name, created exclusively, mode
0700), so nothing planted in the target's folder is ever followed or overwritten, and the
final rename stays on one file system. Files are created in there with mode 0666, which the
kernel narrows by the umask as for any new file. A :class:`Staged` set is published only when
every file in it is complete and on disk (``fsync``); it is then renamed into place, one target
after the other:

* while renaming, the target folders are locked (``flock``), so two ftdata runs publishing to
  the same targets never interleave: the set that stays is one run's whole;
* SIGINT, SIGTERM and SIGHUP are held back while renaming (delivered right after);
* a rename that fails puts back what the renames before it replaced (the old files are kept
  as hard links in the hidden folder until the set is published).

What remains is the gap between two ``rename`` calls (microseconds): a SIGKILL, a power cut
or a kernel crash there leaves some targets new and some old. The hidden folder is then left
behind with the complete outputs not yet renamed (and hard links to the old files): renaming
those by hand finishes the set. Closing the gap would take one rename for all, that is, the
targets being one folder or a symlink to one, which would change what the outputs are.

Anything the system refuses (no space, ``ulimit -f``, no permission) is an
:class:`~validator.errors.OutputError` naming the target and the system's reason.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator, Sequence
from types import TracebackType
from typing import Any, BinaryIO

from validator.errors import OutputError, UsageError

__all__ = ["Staged", "check_target", "reason", "write_file"]

BUFFER = 1 << 20  # bytes held before a write reaches the file


def reason(exc: OSError) -> str:
    """The system's words for ``exc`` (``No space left on device``)."""
    return exc.strerror or str(exc)


def check_target(target: str) -> None:
    """A usage error when ``target`` cannot be an output: no folder for it, or a folder."""
    folder = os.path.dirname(target) or "."
    if not os.path.isdir(folder):
        if os.path.lexists(folder):
            raise UsageError(f"cannot write {target}: {folder} is not a folder")
        raise UsageError(f"cannot write {target}: no folder {folder}")
    if os.path.isdir(target):
        raise UsageError(f"cannot write {target}: it is a folder")


def write_file(target: str | os.PathLike[str], content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8) to ``target`` whole or not at all."""
    path = os.fspath(target)
    check_target(path)
    with Staged([path]) as staged:
        staged.files[0].write(content.encode() if isinstance(content, str) else content)
        staged.publish()


class _Output(io.FileIO):
    """A staged file whose failed writes say which target they were for."""

    def __init__(self, fd: int, target: str) -> None:
        super().__init__(fd, "wb", closefd=True)
        self.target = target

    def write(self, data: Any, /) -> int:
        try:
            return os.write(self.fileno(), data)
        except OSError as exc:
            raise OutputError(self.target, reason(exc)) from None


class Staged:
    """Files for ``targets``, written in hidden folders beside them (``files``, in the same
    order), published together by :meth:`publish`; left unpublished (an error), they are
    removed on leaving the ``with`` block, and the targets are untouched."""

    def __init__(self, targets: Sequence[str]) -> None:
        self.targets = list(targets)
        self.files: list[BinaryIO] = []
        self._paths: list[str] = []  # the staged file of each target
        self._folders: dict[str, str] = {}  # a target folder (real path) -> its hidden folder

    @property
    def scratch(self) -> str:
        """The first target's hidden folder: room for work files on the targets' disk."""
        return next(iter(self._folders.values()))

    def __enter__(self) -> Staged:
        import tempfile  # noqa: PLC0415 - only when writing an output

        try:
            for index, target in enumerate(self.targets):
                folder = os.path.dirname(target) or "."
                name = os.path.basename(target)
                try:
                    hidden = self._folders.get(os.path.realpath(folder))
                    if hidden is None:
                        hidden = tempfile.mkdtemp(prefix=f".{name[:80]}.ftdata-", dir=folder)
                        self._folders[os.path.realpath(folder)] = hidden
                    path = os.path.join(hidden, f"{index}.{name[:80]}")
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                                 0o666)
                except OSError as exc:
                    raise OutputError(target, reason(exc)) from None
                self._paths.append(path)
                self.files.append(io.BufferedWriter(_Output(fd, target), BUFFER))
        except BaseException:
            self._clean_up()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._clean_up()

    def publish(self) -> None:
        """Complete every file on disk, then rename them all over their targets."""
        for handle, target in zip(self.files, self.targets, strict=True):
            handle.flush()  # an OutputError naming the target
            try:
                os.fsync(handle.fileno())
            except OSError as exc:
                raise OutputError(target, reason(exc)) from None
            handle.close()
        with _locked(list(self._folders)) as folders, _signals_held():
            kept = [self._keep(index) for index in range(len(self.targets))]
            done = 0
            try:
                for path, target in zip(self._paths, self.targets, strict=True):
                    try:
                        os.replace(path, target)
                    except OSError as exc:
                        raise OutputError(target, reason(exc)) from None
                    done += 1
            except BaseException:
                self._put_back(kept[:done])
                raise
            for fd in folders:  # the renames themselves on disk; the outputs are out already
                with contextlib.suppress(OSError):
                    os.fsync(fd)

    def _keep(self, index: int) -> str | None:
        """A hard link to the file ``targets[index]`` is now, to put back if the set cannot be
        published whole; None when there is none (or the file system has no hard links)."""
        target = self.targets[index]
        keep = f"{self._paths[index]}.old"
        try:
            os.link(target, keep, follow_symlinks=False)
        except OSError:
            return None if not os.path.lexists(target) else ""
        return keep

    def _put_back(self, kept: list[str | None]) -> None:
        for target, keep in zip(self.targets, kept, strict=False):
            with contextlib.suppress(OSError):
                if keep:
                    os.replace(keep, target)
                elif keep is None:  # there was no file: there is none again
                    os.unlink(target)

    def _clean_up(self) -> None:
        import shutil  # noqa: PLC0415 - loaded with tempfile already

        for handle in self.files:
            with contextlib.suppress(Exception):
                handle.close()
        for hidden in self._folders.values():
            shutil.rmtree(hidden, ignore_errors=True)


@contextlib.contextmanager
def _locked(folders: list[str]) -> Iterator[list[int]]:
    """The target ``folders`` (real paths), each locked with ``flock``, in a fixed order (no
    two runs can wait for each other); a folder that cannot be locked (a file system without
    locks) is published to unlocked. Yields their descriptors."""
    fds: list[int] = []
    try:
        for folder in sorted(folders):
            with contextlib.suppress(OSError):
                fds.append(os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
        try:
            import fcntl  # noqa: PLC0415 - not on Windows
        except ImportError:
            yield fds
            return
        for fd in fds:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_EX)
        yield fds
    finally:
        for fd in fds:
            os.close(fd)  # and unlocks


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP wait until the block is left (a signal in between would
    stop a run with half of its outputs published)."""
    import signal  # noqa: PLC0415

    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", signal.SIGTERM)}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
