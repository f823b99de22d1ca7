"""A small server-rendered SVG sparkline (a need's comments per week): accessible, with colours as presentation
attributes so it renders the same under a strict Content-Security-Policy. Output is escaped Markup."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

_W, _H, _PAD = 120, 28, 3


def sparkline(values: Sequence[int], title: str, description: str, *, width: int = _W, height: int = _H) -> Markup:
    """A line through ``values`` (oldest first), scaled to the largest, with a dot on the last value."""
    top = max(values, default=0) or 1
    step = (width - 2 * _PAD) / max(len(values) - 1, 1)
    points = [(_PAD + i * step, height - _PAD - (height - 2 * _PAD) * v / top) for i, v in enumerate(values)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last = (f'<circle cx="{points[-1][0]:.1f}" cy="{points[-1][1]:.1f}" r="2.5" fill="#2563eb"/>'
            if points else "")
    return Markup(  # noqa: S704 - every text is escaped
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title><desc>{escape(description)}</desc>'
        f'<line x1="{_PAD}" x2="{width - _PAD}" y1="{height - _PAD}" y2="{height - _PAD}" stroke="#cbd5e1"/>'
        f'<polyline points="{line}" fill="none" stroke="#2563eb" stroke-width="1.5"/>{last}</svg>')
