"""`unlocker download`: fetch one file resumably, verified against a known sha256.

The downloader (and with it requests) is imported when the command runs, not when the
commands are listed.
"""

from __future__ import annotations

from pathlib import Path

import click

from unlocker import paths
from unlocker.cli.common import info, json_option, no_progress_option, print_json, progress_enabled
from unlocker.errors import UsageError
from unlocker.i18n import _


@click.command(
    "download",
    help=_(
        "Download URL (and mirrors) resumably; keep it only if its sha256 matches.\n"
        "\n"
        "Interrupted downloads resume where they stopped when the same command runs again."
    ),
    short_help=_("Download URL (and mirrors) resumably; keep it only if its sha256 matches."),
)
@click.argument("url")
@click.option(
    "--sha256", "sha256", required=True, help=_("The file's sha256, from the ROM project or the index.")
)
@click.option("--mirror", "mirrors", multiple=True, help=_("Another address of the same file (repeatable)."))
@click.option("--size", type=int, help=_("Expected size in bytes, when known."))
@click.option(
    "--from",
    "local_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help=_("A copy you already have (USB stick, local mirror): used if its checksum matches."),
)
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help=_("Where to store it (default: the download cache)."),
)
@click.option("--name", help=_("File name to store it under (default: from the URL)."))
@no_progress_option
@json_option
def download(
    url: str,
    sha256: str,
    mirrors: tuple[str, ...],
    size: int | None,
    local_files: tuple[Path, ...],
    output_dir: Path | None,
    name: str | None,
    no_progress: bool,
    as_json: bool,
) -> None:
    """Download URL (and mirrors) resumably; keep it only if its sha256 matches."""
    from unlocker.download import Artifact, fetch
    from unlocker.download.fetch import check_name, check_url

    for address in (url, *mirrors):
        check_url(address)
    filename = name or url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0].split("#", 1)[0]
    if not name and filename in ("", ".", ".."):  # a URL ending in /, /. or /.. names no file
        raise UsageError(
            _("cannot tell a file name from '{url}'; pass {option}").format(url=url, option="--name")
        )
    check_name(filename)  # a name is a name: never a path out of the chosen folder
    target_dir = output_dir or paths.cache_dir() / "downloads"
    artifact = Artifact(filename, sha256, (url, *mirrors), size)
    bar = None
    if progress_enabled(no_progress):
        from functools import partial

        from unlocker.cli.progress import byte_bar, show_bytes  # tqdm: only when a bar is drawn

        bar = byte_bar(size, filename)
    try:
        path = fetch(
            artifact,
            target_dir,
            local_files=local_files,
            progress=partial(show_bytes, bar) if bar is not None else None,
        )
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        print_json({"path": str(path), "sha256": sha256.lower(), "size": path.stat().st_size})
    else:
        info(_("verified {file} (sha256 {sha256}...)").format(file=path.name, sha256=sha256.lower()[:16]))
        click.echo(str(path))


def register(cli: click.Group) -> None:
    cli.add_command(download)
