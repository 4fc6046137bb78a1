"""Small line charts as PNG images for emails (the digest's KPI cards): drawn with Pillow, which fpdf2 already brings,
so they show in every mail client (no SVG, no script) at a few hundred bytes each."""

from __future__ import annotations

import io
from collections.abc import Sequence

WIDTH, HEIGHT = 120, 32  # as shown in the mail, in CSS pixels; drawn at twice the size for sharp phone screens
SCALE = 2
LINE = (37, 99, 235)  # the app's primary blue
FILL = (219, 234, 254)
PAD = 2


def png(values: Sequence[float | None], *, width: int = WIDTH, height: int = HEIGHT) -> bytes:
    """The values left to right as a line over a light area; days without a value are skipped (the line joins the
    known ones). Fewer than two known values: a flat line in the middle."""
    from PIL import Image, ImageDraw  # imported by the first digest drawn, not by every process's start

    w, h = width * SCALE, height * SCALE
    image = Image.new('RGB', (w, h), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    known = [(i, float(v)) for i, v in enumerate(values) if v is not None]
    pad = PAD * SCALE
    if len(known) < 2:
        draw.line([(pad, h // 2), (w - pad, h // 2)], fill=(203, 213, 225), width=SCALE)
    else:
        low, high = min(v for _i, v in known), max(v for _i, v in known)
        span = high - low or 1.0
        steps = max(len(values) - 1, 1)
        points = [
            (pad + (w - 2 * pad) * i / steps, h - pad - (h - 2 * pad) * ((v - low) / span if high > low else 0.5))
            for i, v in known
        ]
        draw.polygon([(points[0][0], h - pad), *points, (points[-1][0], h - pad)], fill=FILL)
        draw.line(points, fill=LINE, width=2 * SCALE, joint='curve')
        last_x, last_y = points[-1]
        r = 2.5 * SCALE
        draw.ellipse([last_x - r, last_y - r, last_x + r, last_y + r], fill=LINE)
    out = io.BytesIO()
    # 16 colours (fast octree) keep the antialiased line and make the file about half the size of an RGB one
    image.quantize(colors=16, method=Image.Quantize.FASTOCTREE).save(out, format='PNG')
    return out.getvalue()
