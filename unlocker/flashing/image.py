"""An image file on disk as the flash engine sees it: raw or sparse, sizes, and how to cut it."""

from __future__ import annotations

import os

from unlocker.errors import ImageError
from unlocker.i18n import _
from unlocker.record import Record
from unlocker.sparse.extents import ImageLayout, layout_of_raw, layout_of_sparse
from unlocker.sparse.format import FILE_HEADER_SIZE, is_sparse, parse_header
from unlocker.sparse.reader import check_crc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO


class ImageFile(Record):
    path: str | os.PathLike[str]  # as the caller gave it (pathlib costs start-up time: issue 15)
    file_size: int
    sparse: bool
    expanded_size: int  # what lands in the partition
    # A sparse image's extents, found while validating it, so planning never walks it twice.
    sparse_layout: ImageLayout | None = None
    rollback_index: int | None = None  # from the image's AVB metadata (raw images), if any

    def layout(self, f: BinaryIO) -> ImageLayout:
        """Extents for resparsing: known already for sparse images; one read of a raw image."""
        if self.sparse_layout is not None:
            return self.sparse_layout
        return layout_of_sparse(f) if self.sparse else layout_of_raw(f, self.file_size)

    @property
    def file_name(self) -> str:
        """The file's name without its folder, as ``Path.name`` gives it."""
        return os.path.basename(os.fspath(self.path))


def inspect_image(path: str | os.PathLike[str]) -> ImageFile:
    """Look at an image without reading its data; a sparse image's structure is validated here."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(FILE_HEADER_SIZE)
    except OSError as e:
        raise ImageError(
            _("cannot read image {path}: {reason}").format(path=path, reason=e.strerror or e)
        ) from e
    if size == 0:
        raise ImageError(
            _("image {path} is empty").format(path=path),
            hint=_("Check the file; download it again if needed."),
        )
    if is_sparse(head):
        try:
            header = parse_header(head)
            # Walk every chunk header now (seeking over data): a damaged image is refused before
            # a single byte reaches the phone, rather than half-written.
            with open(path, "rb") as f:
                layout = layout_of_sparse(f)
                if layout.has_crc:
                    check_crc(f)  # one read of the data, only for the rare images that carry CRCs
        except ImageError as e:
            raise ImageError(
                _("{file}: {problem}").format(file=os.path.basename(os.fspath(path)), problem=e),
                hint=_("The image is damaged: download it again."),
            ) from e
        if header.expanded_size == 0:
            raise ImageError(
                _("sparse image {path} describes an empty image (0 blocks)").format(path=path),
                hint=_("Check the file; download it again if needed."),
            )
        return ImageFile(path, size, True, header.expanded_size, layout)
    from unlocker.flashing.avb import rollback_index  # a footer only raw images carry

    return ImageFile(path, size, False, size, rollback_index=rollback_index(path))
