"""Sphinx extension: SVG figures become PDF, through ``rsvg-convert``, for the LaTeX/PDF build.

LaTeX cannot include SVG. Sphinx converts an image only when the builder cannot show it
(the HTML builder shows SVG as it is), so the HTML book is unchanged. ``rsvg-convert``
(Debian's ``librsvg2-bin``, installed by ``scripts/install_latex.sh``) keeps the figures
as vector graphics: they stay sharp at any zoom, unlike ``sphinx.ext.imgconverter``'s
ImageMagick route, which rasterises them.
"""

from __future__ import annotations

import shutil
import subprocess

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.transforms.post_transforms.images import ImageConverter
from sphinx.util import logging

logger = logging.getLogger(__name__)


class RsvgConverter(ImageConverter):
    conversion_rules = [("image/svg+xml", "application/pdf")]
    default_priority = 10  # before sphinx.ext.imgconverter (11), should both be loaded

    def is_available(self) -> bool:
        if shutil.which("rsvg-convert"):
            return True
        logger.warning("rsvg-convert not found: SVG figures are left out of the PDF "
                       "(run scripts/install_latex.sh)")
        return False

    def convert(self, _from: str, _to: str) -> bool:
        result = subprocess.run(["rsvg-convert", "--format=pdf", f"--output={_to}", _from],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise ExtensionError(f"rsvg-convert failed on {_from}: {result.stderr}")
        return True


def setup(app: Sphinx) -> dict:
    app.add_post_transform(RsvgConverter)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
