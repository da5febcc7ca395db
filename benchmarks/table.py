"""The results as Markdown tables (printed, stored in the JSON, quoted in the README)."""

from __future__ import annotations

from typing import Any

__all__ = ["markdown_tables"]


def _num(value: float | None, digits: int = 1, suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{suffix}"


def markdown_tables(results: dict[str, Any]) -> str:
    """The speed tables (one per size), the memory table, then a note for every n/a with its
    reason."""
    settings = results["settings"]
    notes: list[str] = []
    lines: list[str] = []
    for size in (settings["size"], settings["big"]):
        if lines:
            lines.append("")
        lines += [
            f"Speed at {size / 1e6:g} MB per dataset, best of {settings['repeat']} "
            f"({results['machine']['cpus']} CPUs):",
            "",
            "| dataset | tool | MB/s | x floor | x 1 worker | x SDK 3.x | x SDK 1.x "
            "| peak RSS (MiB) |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in results["rows"]:
            if row.get("size", settings["size"]) != size or row["tool"].startswith("model-"):
                continue
            tool = row["label"] + _mark(row["na"], notes)
            scale = (_num(row.get("x_one_worker"), 2) if row["tool"] in ("ftdata-all", "floor-all")
                     else "")
            lines.append(
                f"| {row['dataset']} | {tool} | {_num(row['mb_per_s'])} "
                f"| {_num(row['x_floor'], 2)} | {scale} | {_num(row['x_sdk_3'], 2)} "
                f"| {_num(row['x_sdk_1'], 2)} | {_num(row['peak_rss_mib'])} |")
    model_rows = [row for row in results["rows"] if row["tool"].startswith("model-")]
    if model_rows:
        lines += [
            "",
            f"Token counting (`validate --model {settings['model']}`) at "
            f"{settings.get('model_size', settings['size']) / 1e6:g} MB, best of "
            f"{settings['repeat']}; x plain: against `validate` of the same file with as many "
            "workers:",
            "",
            "| dataset | tool | MB/s | x plain validation | peak RSS (MiB) |",
            "|---|---|---:|---:|---:|",
        ]
        for row in model_rows:
            lines.append(f"| {row['dataset']} | {row['label']}{_mark(row['na'], notes)} "
                         f"| {_num(row['mb_per_s'])} | {_num(row['x_plain'], 2)} "
                         f"| {_num(row['peak_rss_mib'])} |")
    lines += [
        "",
        f"Peak memory of ftdata (1 worker) at {settings['size'] / 1e6:g} MB and "
        f"{settings['big'] / 1e6:g} MB:",
        "",
        f"| dataset | {settings['size'] / 1e6:g} MB | {settings['big'] / 1e6:g} MB | change |",
        "|---|---:|---:|---:|",
    ]
    for mem in results["memory"]:
        change = mem["change"]
        shown = "n/a" if change is None else f"{(change - 1) * 100:+.0f}%"
        lines.append(f"| {mem['dataset']}{_mark(mem['na'], notes)} "
                     f"| {_num(mem['base_peak_rss_mib'], 1, ' MiB')} "
                     f"| {_num(mem['big_peak_rss_mib'], 1, ' MiB')} | {shown} |")
    if notes:
        lines.append("")
        lines += [f"[{i}] {note}" for i, note in enumerate(notes, 1)]
    return "\n".join(lines)


def _mark(note: str | None, notes: list[str]) -> str:
    """A footnote marker for ``note`` (added to ``notes`` on first use); empty for None."""
    if not note:
        return ""
    if note not in notes:
        notes.append(note)
    return f" [{notes.index(note) + 1}]"
