"""An image file on disk as the flash engine sees it: raw or sparse, sizes, and how to cut it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from unlocker.errors import ImageError
from unlocker.sparse.extents import ImageLayout, layout_of_raw, layout_of_sparse
from unlocker.sparse.format import FILE_HEADER_SIZE, is_sparse, parse_header


@dataclass(frozen=True)
class ImageFile:
    path: Path
    file_size: int
    sparse: bool
    expanded_size: int  # what lands in the partition

    def layout(self, f: BinaryIO) -> ImageLayout:
        """Extents for resparsing (reads the whole file once for raw images)."""
        return layout_of_sparse(f) if self.sparse else layout_of_raw(f, self.file_size)


def inspect_image(path: Path) -> ImageFile:
    """Look at an image without reading its data; a sparse image's structure is validated here."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(FILE_HEADER_SIZE)
    except OSError as e:
        raise ImageError(f"cannot read image {path}: {e.strerror or e}") from None
    if size == 0:
        raise ImageError(f"image {path} is empty", hint="Check the file; download it again if needed.")
    if is_sparse(head):
        try:
            header = parse_header(head)
            # Walk every chunk header now (seeking over data): a damaged image is refused before
            # a single byte reaches the phone, rather than half-written.
            with open(path, "rb") as f:
                layout_of_sparse(f)
        except ImageError as e:
            raise ImageError(f"{path.name}: {e}", hint="The image is damaged: download it again.") from None
        return ImageFile(path, size, True, header.expanded_size)
    return ImageFile(path, size, False, size)
