"""Printed pages as PDF files (the agency report, the blank questionnaire), rendered on
the server by WeasyPrint.

WeasyPrint is installed with the app but needs Pango from the operating system; without
it the page offers the browser's print to PDF.
The renderer may only read the app's own static files: any other URL in the page
(an external image, a file: path) is refused, so a PDF can never fetch from the
network or the disk.
"""

from __future__ import annotations

import importlib.util
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, request

STATIC_PREFIX = "/static/"


def available() -> bool:
    """True when WeasyPrint and the system libraries it needs can be loaded."""
    if importlib.util.find_spec("weasyprint") is None:
        return False
    try:
        import weasyprint  # noqa: F401
    except OSError:  # Pango missing
        return False
    return True


def render(html: str, *, base_url: str, static_folder: str) -> bytes:
    """PDF bytes of ``html`` (A4 from the page's print stylesheet)."""
    import weasyprint
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = Path(static_folder).resolve()

    class StaticOnly(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            path = urlsplit(url).path
            if not path.startswith(STATIC_PREFIX):
                raise ValueError(f"PDF: refusing to fetch {url}")
            target = (root / path[len(STATIC_PREFIX) :]).resolve()
            if root not in target.parents or not target.is_file():
                raise ValueError(f"PDF: no static file {path}")
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, target.read_bytes(), {"Content-Type": kind})

    document = weasyprint.HTML(string=html, base_url=base_url, url_fetcher=StaticOnly())
    pdf: bytes = document.write_pdf()
    return pdf


def download(html: str, filename: str) -> Response:
    """``html`` rendered as a PDF file to download, in the current request."""
    pdf = render(html, base_url=request.url_root, static_folder=current_app.static_folder or "")
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
