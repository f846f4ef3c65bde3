"""QR codes as inline SVG: the ``qrcode`` library encodes, we draw one ``<path>``.

Drawing the module matrix ourselves keeps the markup small (one rectangle per run of
dark modules in a row), free of ``id`` attributes (a page of letters holds hundreds of
codes) and of inline styles (the Content-Security-Policy forbids them).
"""

from __future__ import annotations

import qrcode
from markupsafe import Markup, escape
from qrcode.constants import ERROR_CORRECT_M

QUIET_ZONE = 4  # modules of white border the standard asks for


def qr_svg(data: str, *, label: str, size: str = "32mm") -> Markup:
    """An inline SVG QR code of ``data`` (error correction M, about 15 % may be lost)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()  # includes the quiet zone
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    side = len(matrix)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="qr" role="img" '
        f'aria-label="{escape(label)}" width="{size}" height="{size}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<rect width="{side}" height="{side}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(runs)}"/></svg>'
    )
