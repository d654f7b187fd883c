"""HTML → archival PDF with WeasyPrint, loading nothing from outside the templates."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

PDF_VARIANT = "pdf/a-3a"
logger = logging.getLogger("grader.render")


def _weasyprint():
    # Imported lazily: WeasyPrint takes most of a second to import.
    import weasyprint

    return weasyprint


class RefusedURL(ValueError):
    """A resource outside the allowed folders, or on the network."""


def locked_fetcher(allowed: list[Path]):
    """A WeasyPrint URL fetcher that serves data: URIs and files under `allowed` only."""
    weasyprint = _weasyprint()
    roots = [p.resolve() for p in allowed]

    class LockedFetcher(weasyprint.urls.URLFetcher):
        def fetch(self, url, headers=None):
            scheme = urlsplit(url).scheme.lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file" and urlsplit(url).netloc.lower() in ("", "localhost"):
                # Resolved: no '..' or symbolic link leads out of the folders. A host
                # (file://host/...) is refused, as urllib would look it up on the network.
                path = Path(unquote(urlsplit(url).path)).resolve()
                if any(path.is_relative_to(root) for root in roots) and path.is_file():
                    return super().fetch(path.as_uri(), headers)
            logger.warning("refused to load %s: only the templates folder and data: URIs "
                           "are allowed", url[:200])
            raise RefusedURL(f"refused: {url[:200]}")

    return LockedFetcher(allowed_protocols=("data", "file"), allow_redirects=False)


def render_pdf(html: str, *, base_dir: Path, allowed: list[Path], attachment: bytes,
               attachment_name: str, date: str) -> bytes:
    """Render the brief to PDF/A-3a bytes with the evidence file attached."""
    weasyprint = _weasyprint()
    moment = dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC)
    fetcher = locked_fetcher(allowed)
    font_config = weasyprint.text.fonts.FontConfiguration()
    document = weasyprint.HTML(string=html, base_url=str(base_dir) + "/",
                               url_fetcher=fetcher)
    source = weasyprint.Attachment(
        file_obj=io.BytesIO(attachment), name=attachment_name, relationship="Source",
        description="The evidence table this brief was built from", url_fetcher=fetcher,
        created=moment, modified=moment)
    return document.write_pdf(font_config=font_config, pdf_variant=PDF_VARIANT,
                              pdf_tags=True, attachments=[source], custom_metadata=True,
                              uncompressed_pdf=False)
