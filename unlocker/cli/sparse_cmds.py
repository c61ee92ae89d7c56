"""`unlocker sparse info|expand|convert`: inspect and convert Android sparse images."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import BinaryIO

import click

from unlocker.cli.common import info, json_option, print_json
from unlocker.errors import ImageError, UsageError
from unlocker.i18n import _
from unlocker.sparse import apply_sparse, iter_chunks, read_header
from unlocker.sparse.extents import layout_of_raw
from unlocker.sparse.format import CHUNK_NAMES, MAX_BLOCK_SIZE, SparseHeader, is_sparse
from unlocker.sparse.reader import check_crc
from unlocker.sparse.writer import write_sparse

_IMAGE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group(
    "sparse",
    help=_("Inspect and convert Android sparse images."),
    short_help=_("Inspect and convert Android sparse images."),
)
def sparse() -> None:
    """Inspect and convert Android sparse images."""


@sparse.command(
    "info",
    help=_("Show the header and chunks of a sparse image (validates it completely)."),
    short_help=_("Show the header and chunks of a sparse image."),
)
@click.argument("image", type=_IMAGE)
@json_option
def sparse_info(image: Path, as_json: bool) -> None:
    """Show the header and chunks of a sparse image (validates it completely)."""
    with open(image, "rb") as f:
        header = _sparse_header(f, image)
        counts: dict[str, int] = {}
        blocks: dict[str, int] = {}
        for chunk, _unused in iter_chunks(f, header, payloads=False):
            counts[chunk.name] = counts.get(chunk.name, 0) + 1
            blocks[chunk.name] = blocks.get(chunk.name, 0) + chunk.blocks
        # "validates it completely": CRC32 chunks are checked against the data they cover.
        verified = check_crc(f) if counts.get("CRC32") else 0
    data = {
        "file": str(image),
        "file_size": os.path.getsize(image),
        "version": f"{header.major}.{header.minor}",
        "block_size": header.blk_sz,
        "total_blocks": header.total_blks,
        "expanded_size": header.expanded_size,
        "chunks": header.total_chunks,
        "chunk_counts": counts,
        "chunk_blocks": blocks,
        "crc32_verified": verified,
    }
    if as_json:
        print_json(data)
        return
    click.echo(
        _(
            "{file}: sparse {version}, {chunks} chunks, "
            "{blocks} blocks of {block_size} bytes = {expanded} bytes expanded"
        ).format(
            file=image.name,
            version=data["version"],
            chunks=header.total_chunks,
            blocks=header.total_blks,
            block_size=header.blk_sz,
            expanded=header.expanded_size,
        )
    )
    for name in CHUNK_NAMES.values():
        if name in counts:
            click.echo(
                _("  {kind} {chunks} chunks {blocks} blocks").format(
                    kind=f"{name:<9}", chunks=f"{counts[name]:>7}", blocks=f"{blocks[name]:>10}"
                )
            )
    if verified:
        click.echo(_("  CRC32 checksums verified: {count}").format(count=verified))


@sparse.command(
    "expand",
    help=_("Write the raw image a sparse IMAGE describes (like simg2img)."),
    short_help=_("Write the raw image a sparse IMAGE describes (like simg2img)."),
)
@click.argument("image", type=_IMAGE)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
def sparse_expand(image: Path, output: Path) -> None:
    """Write the raw image a sparse IMAGE describes (like simg2img)."""
    _check_room(image, output)
    tmp = _partial(output)
    try:
        with open(image, "rb") as src, open(tmp, "wb") as dst:
            size = apply_sparse(src, dst)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    info(_("expanded {file} to {output} ({size} bytes)").format(file=image.name, output=output, size=size))


@sparse.command(
    "convert",
    help=_("Write a sparse version of a raw IMAGE (like img2simg)."),
    short_help=_("Write a sparse version of a raw IMAGE (like img2simg)."),
)
@click.argument("image", type=_IMAGE)
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--block-size", default=4096, show_default=True, help=_("Block size in bytes (multiple of 4)."))
def sparse_convert(image: Path, output: Path, block_size: int) -> None:
    """Write a sparse version of a raw IMAGE (like img2simg)."""
    if block_size <= 0 or block_size % 4 or block_size > MAX_BLOCK_SIZE:
        # The same limits as the reader's (and libsparse's): never write what cannot be read back.
        raise click.BadParameter(
            _("must be a positive multiple of 4, at most {limit}").format(limit=MAX_BLOCK_SIZE),
            param_hint="--block-size",
        )
    with open(image, "rb") as f:
        if is_sparse(f.read(4)):
            raise ImageError(
                _("{file} is already an Android sparse image").format(file=image.name),
                hint=_("Nothing to convert; use it as it is, or expand it first."),
            )
    tmp = _partial(output)
    try:
        with open(image, "rb") as src, open(tmp, "wb") as dst:
            layout = layout_of_raw(src, os.path.getsize(image), block_size)
            size = write_sparse(src, layout.extents, layout.blk_sz, layout.total_blks, dst)
        os.replace(tmp, output)
    finally:
        tmp.unlink(missing_ok=True)
    info(
        _("converted {file} to {output} ({size} bytes sparse)").format(
            file=image.name, output=output, size=size
        )
    )


def _sparse_header(f: BinaryIO, image: Path) -> SparseHeader:
    """The header of ``image`` (open as ``f``), or a clear error when it is not sparse at all."""
    if not is_sparse(f.read(4)):
        raise ImageError(
            _("{file} is not an Android sparse image (it is raw, or something else)").format(file=image.name)
        )
    f.seek(0)
    return read_header(f)


def _check_room(image: Path, output: Path) -> None:
    """Refuse before writing when the expanded image cannot fit where it would go."""
    with open(image, "rb") as f:
        header = _sparse_header(f, image)
    if header.total_blks == 0:
        raise ImageError(_("{file} describes an empty image (0 blocks)").format(file=image.name))
    folder = output.resolve().parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # a folder that is not there fails at the write, with its own message
    if header.expanded_size > free:
        raise ImageError(
            _("{file} expands to {size} bytes, but {folder} has only {free} bytes free").format(
                file=image.name, size=header.expanded_size, folder=folder, free=free
            ),
            hint=_("Free some space or choose another folder for the output."),
        )


def _partial(output: Path) -> Path:
    """Where OUTPUT is written until it is complete (renamed at the end)."""
    if not output.name or output.name in (".", ".."):
        raise UsageError(_("'{output}' names no file to write").format(output=output))
    return output.with_name(output.name + ".part")


def register(cli: click.Group) -> None:
    cli.add_command(sparse)
