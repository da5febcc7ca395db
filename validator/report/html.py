"""``ftdata report``: one self-contained HTML page (inline CSS and SVG, no script, nothing
fetched) with the validation summary, the issue table and histograms of the dataset."""

from __future__ import annotations

from html import escape
from typing import Any

from validator import __version__
from validator.report import SERVER_FIELDS, Report
from validator.report.text import group_lines
from validator.stats.dataset import Profile
from validator.stats.sketch import QUANTILES, Sketch

__all__ = ["render_html"]

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em auto;
max-width:1100px;color:#1f2328;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid
#d0d7de;padding-bottom:.3em}.muted{color:#59636e}
.badge{display:inline-block;padding:.15em .6em;border-radius:1em;font-weight:600;color:#fff}
.ok{background:#1a7f37}.bad{background:#cf222e}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #d0d7de;
padding:.3em .5em;text-align:left;vertical-align:top}th{background:#f6f8fa}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:.95em}
td code{white-space:nowrap}
.error{color:#cf222e;font-weight:600}.warning{color:#9a6700;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:1.5em}figure{margin:0}figcaption{font-weight:600}
"""


def render_html(report: Report, profile: Profile | None, *, note: str | None = None,
                leakage: dict[str, Any] | None = None) -> str:
    """The page; ``note`` says why there is no dataset section (a file not described for
    its purpose); ``leakage`` is ``ftdata stats --against``'s for the file."""
    verdict = ('<span class="badge ok">valid</span>' if report.valid
               else '<span class="badge bad">invalid</span>')
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>ftdata report: {escape(report.path)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(report.path)} {verdict}</h1>",
        f'<p class="muted">purpose {escape(report.purpose)} · '
        f"{_n(report.nlines, 'sample')} · {_n(report.errors, 'error')} · "
        f"{_n(report.warnings, 'warning')}"
        f" · ftdata {escape(__version__)}</p>",
        "<h2>Validation report</h2>",
        _server_table(report),
    ]
    if report.by_code:
        parts += ["<h2>Issues by rule</h2>", _by_code(report)]
    parts += ["<h2>Issues</h2>", _issue_table(report)]
    tokens = report.stats.get("tokens")
    doc = profile.to_dict() if profile is not None else {}
    if profile is not None:
        parts += _dataset(profile, report.nlines, model=bool(tokens))
    if leakage is not None:
        parts += ["<h2>Leakage</h2>", _leakage(leakage)]
    if tokens:
        parts += [f"<h2>Tokens as {escape(tokens['model'])} sees them</h2>", _token_table(tokens)]
        # the feature table's exact bins when the statistics were read with the validation
        exact = doc.get("histograms", {}).get("tokens_per_sample")
        bins = exact if exact and "tokens_per_sample" in doc else tokens["tokens_histogram"]
        if bins:
            dist = doc["tokens_per_sample"] if exact else tokens["tokens_per_sample"]
            parts.append(_histogram("Tokens per sample", [tuple(b) for b in bins],
                                    {name: dist[name] for name in _QUANTILE_NAMES}, "tokens",
                                    limit=tokens["max_seq_length"]))
    elif note:
        parts += ["<h2>Dataset</h2>", f'<p class="muted">No statistics: {escape(note)}</p>']
    parts.append("</body></html>\n")
    return "\n".join(parts)


_CHARTS = (("chars_per_sample", "Characters per sample", "characters", "chars"),
           ("messages_per_sample", "Messages per sample", "messages", "messages"),
           ("turns_per_sample", "Turns per sample", "assistant turns", "turns"),
           ("tokens_per_sample", "Tokens per sample", "tokens", "tokens"))


def _dataset(profile: Profile, samples: int, *, model: bool) -> list[str]:
    """The statistics, histograms (linear bins, percentiles marked), the longest samples and
    the duplicate groups; with ``model``, tokens are charted in the model's section."""
    doc = profile.to_dict()
    parts = ["<h2>Dataset</h2>", _profile_table(profile, samples), '<div class="charts">']
    histograms = doc.get("histograms", {})
    for key, title, unit, attribute in _CHARTS:
        if model and key == "tokens_per_sample":
            continue
        if key in histograms:
            marks = {name: doc[key][name] for name in _QUANTILE_NAMES}
            parts.append(_histogram(title, [tuple(b) for b in histograms[key]], marks, unit))
        elif key == "tokens_per_sample" and profile.tokens.count:  # Parquet: from the sketch
            sketch = getattr(profile, attribute)
            parts.append(_histogram(title, sketch.histogram(), _marks(sketch), unit))
    parts.append("</div>")
    if doc.get("longest"):
        rows = "".join(f"<tr><td class=num>{s['line']:,}</td><td class=num>{s['chars']:,}</td>"
                       f"<td class=num>{s['bytes']:,}</td><td>{escape(s['format'])}</td></tr>"
                       for s in doc["longest"])
        parts += ["<h3>Longest samples</h3>", "<table><tr><th>line</th><th>characters</th>"
                  f"<th>bytes</th><th>format</th></tr>{rows}</table>"]
    groups = doc.get("duplicates", {}).get("groups")
    if groups:
        rows = "".join(f"<tr><td class=num>{g['samples']:,}</td><td>{g['kind']}</td>"
                       f"<td>{', '.join(f'{n:,}' for n in g['lines'])}"
                       f"{' ...' if g['samples'] > len(g['lines']) else ''}</td></tr>"
                       for g in groups)
        parts += ["<h3>Largest duplicate groups</h3>",
                  "<table><tr><th>samples</th><th>kind</th><th>first lines</th></tr>"
                  f"{rows}</table>"]
    return parts


def _leakage(leak: dict[str, Any]) -> str:
    rows = "".join(f"<tr><td>{escape(o['path'])}</td><td class=num>{o['samples']:,}</td>"
                   f"<td class=num>{o['prompts']:,}</td></tr>" for o in leak["against"])
    pairs = "".join(f"<tr><td>{escape(p['against'])}</td><td class=num>{p['line']:,}</td>"
                    f"<td class=num>{p['train_line']:,}</td></tr>" for p in leak["pairs"])
    table = ("<table><tr><th>validation file</th><th>samples also in this file</th>"
             f"<th>prompts also in this file</th></tr>{rows}</table>")
    if pairs:
        table += ("<table><tr><th>validation file</th><th>its line</th><th>line here</th></tr>"
                  f"{pairs}</table>")
    return table


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _server_table(report: Report) -> str:
    rows = "".join(f"<tr><th><code>{name}</code></th><td>{escape(_show(value))}</td></tr>"
                   for name, value in report.to_server_dict().items() if name in SERVER_FIELDS)
    return f"<table>{rows}</table>"


def _show(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:,}" if isinstance(value, int) else str(value)


def _by_code(report: Report) -> str:
    rows = "".join(f"<tr><td><code>{escape(code)}</code></td><td class=num>{n:,}</td></tr>"
                   for code, n in sorted(report.by_code.items(), key=lambda kv: -kv[1]))
    return f"<table><tr><th>rule</th><th>count</th></tr>{rows}</table>"


def _issue_table(report: Report) -> str:
    if not report.issues:
        return "<p>No issues.</p>"
    rows = [f"<tr><td class=num>{'' if issue.line is None else issue.line}</td>"
            f"<td><code>{escape(issue.path or '')}</code></td>"
            f"<td><code>{escape(issue.code)}</code></td>"
            f'<td class="{issue.severity.value}">{issue.severity.value}</td>'
            f"<td>{escape(issue.message)}</td>"
            f"<td class=num>{issue.count:,}</td><td>{escape(group_lines(issue))}</td></tr>"
            for issue in report.issues]
    more = (f"<p class=muted>{report.omitted:,} more issues not shown (raise --max-errors)</p>"
            if report.omitted else "")
    return ("<table><tr><th>line</th><th>path</th><th>rule</th><th>severity</th>"
            f"<th>message</th><th>count</th><th>lines</th></tr>{''.join(rows)}</table>{more}")


def _profile_table(profile: Profile, samples: int) -> str:
    """The statistics; ``samples`` is the header's count (the validation's), shown first so
    the two agree, then how many of them the statistics describe."""
    doc = profile.to_dict()
    unit = profile.unit.removesuffix("s")
    rows = [("samples (as in the header)", f"{samples:,}"),
            (f"described here ({doc['read_as']})", f"{profile.samples:,}"),
            (f"blank {unit}s", f"{profile.blank_lines:,}"),
            (f"unreadable {unit}s (not described)", f"{profile.unreadable:,}")]
    if "duplicates" in doc and "exact_duplicates" in doc:
        dup = doc["duplicates"]
        rows.append(("exact duplicates", f"{dup['exact']:,} samples in "
                                         f"{dup['exact_groups']:,} groups"))
        rows.append(("near duplicates (case and whitespace folded)",
                     f"{dup['near']:,} samples in {dup['near_groups']:,} groups"))
    elif "exact_duplicates" in doc:
        rows.append(("exact duplicates", f"{profile.duplicates:,} samples in "
                                         f"{profile.duplicate_groups:,} groups"))
    if "samples_per_format" in doc:
        rows += [(f"format {name}", f"{n:,}") for name, n in profile.formats.items()]
    for key, share in doc.get("share_of_samples", {}).items():
        rows.append((f"samples with {key.replace('_', ' ')}",
                     f"{profile.shares[key]:,} ({share:.1%})"))
    if doc["not_applicable"]:
        rows.append(("not applicable", ", ".join(k.replace("_", " ")
                                                 for k in doc["not_applicable"])))
    if doc.get("context_length"):
        rows.append((f"samples over {profile.context_length:,} tokens",
                     f"{profile.over_context:,}"))
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _token_table(tokens: dict[str, Any]) -> str:
    """The ``--model`` counts of the validation (its report's ``stats.tokens``)."""
    limit = tokens["max_seq_length"]
    rows = [("max_seq_length", "" if limit is None else f"{limit:,}"),
            ("samples counted (those without errors)", f"{tokens['samples_counted']:,}"),
            ("tokens", f"{tokens['tokens']:,}"),
            ("trained tokens", f"{tokens['trained_tokens']:,}"),
            ("samples truncated", f"{tokens['samples_truncated']:,}"),
            ("samples the template refused", f"{tokens['samples_uncounted']:,}"),
            ("samples with estimated trained tokens", f"{tokens['samples_approximate']:,}")]
    for key, label in (("tokens_per_sample", "tokens per sample"),
                       ("trained_tokens_per_sample", "trained tokens per sample")):
        dist = tokens[key]
        if dist["min"] is not None:
            rows.append((label, "  ".join(f"{name} {value:,}" for name, value in dist.items())))
    body = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


_QUANTILE_NAMES = tuple(f"p{round(q * 100)}" for q in QUANTILES)


def _marks(sketch: Sketch) -> dict[str, float]:
    return {name: sketch.quantile(q) or 0.0 for name, q in zip(_QUANTILE_NAMES, QUANTILES,
                                                                 strict=True)}


def _histogram(title: str, bins: list[tuple[int, int, int]], marks: dict[str, float],
               unit: str, *, limit: int | None = None, width: int = 520,
               height: int = 250) -> str:
    """Bars of equal width from min to max (linear), the count of samples up the y axis,
    ``unit`` along the x axis, ``marks`` (p50, p90 and p99) as dashed lines, and ``limit``
    (the model's maximum sequence length) as a solid line when it falls inside the bars,
    else said in the caption."""
    top = max(n for _, _, n in bins) or 1
    left, right, above, below = 56, 12, 40, 48  # above: a row for each mark's label
    plot_w, plot_h = width - left - right, height - above - below
    base = above + plot_h
    low, high = bins[0][0], bins[-1][1] + 1
    bar = plot_w / len(bins)

    def x_of(value: float) -> float:
        return left + plot_w * (value - low) / (high - low)

    shapes = [f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#59636e"/>',
              f'<line x1="{left}" y1="{above}" x2="{left}" y2="{base}" stroke="#59636e"/>',
              f'<text x="{left - 6}" y="{above + 4}" text-anchor="end" font-size="11">'
              f"{top:,}</text>",
              f'<text x="{left - 6}" y="{base}" text-anchor="end" font-size="11">0</text>',
              f'<text x="14" y="{above + plot_h / 2:.1f}" text-anchor="middle" font-size="11" '
              f'transform="rotate(-90 14 {above + plot_h / 2:.1f})">samples</text>',
              f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" '
              f'font-size="11">{escape(unit)} per sample</text>']
    for k, (lo, hi, n) in enumerate(bins):
        h = plot_h * n / top
        label = f"{lo:,}" if lo == hi else f"{lo:,} to {hi:,}"
        shapes.append(f'<rect x="{left + k * bar + 1:.1f}" y="{base - h:.1f}" '
                      f'width="{max(bar - 2, 1):.1f}" height="{h:.1f}" fill="#0969da">'
                      f"<title>{label}: {n:,}</title></rect>")
    shapes.extend(f'<text x="{x_of(v + 0.5):.1f}" y="{base + 14}" text-anchor="middle" '
                  f'font-size="10">{v:,}</text>'
                  for v in (bins[0][0], (bins[0][0] + bins[-1][1]) // 2, bins[-1][1]))
    for row, (name, value) in enumerate(marks.items()):
        x = x_of(value + 0.5)
        shapes.append(f'<line x1="{x:.1f}" y1="{above - 4}" x2="{x:.1f}" y2="{base}" '
                      'stroke="#cf222e" stroke-dasharray="4 3"/>')
        # a label near either edge is anchored inside the picture, not cut at its border
        anchor = "end" if x > width - 36 else "start" if x < left + 24 else "middle"
        shown = f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"
        shapes.append(f'<text x="{x:.1f}" y="{10 + row * 10}" text-anchor="{anchor}" '
                      f'font-size="9" fill="#cf222e">{name} {shown}</text>')
    caption = escape(title)
    if limit is not None and low < limit < high:
        x = x_of(limit + 1)  # between the bars of samples that fit and those that do not
        shapes.append(f'<line x1="{x:.1f}" y1="{above - 4}" x2="{x:.1f}" y2="{base}" '
                      'stroke="#8250df" stroke-width="2"><title>max_seq_length '
                      f"{limit:,}</title></line>")
        shapes.append(f'<text x="{x - 3:.1f}" y="{above + 8}" text-anchor="end" '
                      f'font-size="10" fill="#8250df">limit {limit:,}</text>')
    elif limit is not None:
        where = "no sample is over" if limit >= high else "every sample is at or over"
        caption += f' <span class="muted">({where} the limit of {limit:,} tokens)</span>'
    return (f"<figure><figcaption>{caption}</figcaption>"
            f'<svg width="{width}" height="{height}" '
            f'role="img" aria-label="{escape(title)}">{"".join(shapes)}</svg></figure>')
