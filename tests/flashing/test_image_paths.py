"""inspect_image and rollback_index take the path as a str or a PathLike, with the same results."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.flashing.test_critical_cli import avb_image
from unlocker.errors import ImageError
from unlocker.flashing.avb import rollback_index
from unlocker.flashing.image import inspect_image


def test_a_str_and_a_path_give_the_same_image(tmp_path: Path) -> None:
    raw = avb_image(tmp_path / "boot.img", 64 * 1024, rollback=5)
    sparse = tmp_path / "system.sparse.img"
    subprocess.run(["img2simg", str(raw), str(sparse)], check=True, capture_output=True)
    for path in (raw, sparse):
        as_path, as_str = inspect_image(path), inspect_image(str(path))
        assert as_path.path == path and as_str.path == str(path)
        assert as_path[1:4] == as_str[1:4] and as_path.rollback_index == as_str.rollback_index
        one, other = as_path.sparse_layout, as_str.sparse_layout
        if path is sparse:
            assert one and other and one[:2] == other[:2] and list(one.extents) == list(other.extents)
        else:
            assert one is other is None
        assert as_path.file_name == as_str.file_name == path.name
    assert rollback_index(str(raw)) == rollback_index(raw) == 5


def test_a_damaged_sparse_image_is_named_by_its_file_name(tmp_path: Path) -> None:
    raw = tmp_path / "r.img"
    raw.write_bytes(os.urandom(3 * 4096))
    sparse = tmp_path / "vendor.img"
    subprocess.run(["img2simg", str(raw), str(sparse)], check=True, capture_output=True)
    sparse.write_bytes(sparse.read_bytes()[:-100])
    for given in (sparse, str(sparse)):
        with pytest.raises(ImageError) as caught:
            inspect_image(given)
        assert str(caught.value).startswith("vendor.img: ")
