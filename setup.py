"""Build step beyond pyproject.toml: compile the translation catalogues into the wheel.

The ``.po`` sources live in ``unlocker/locale/``; the wheel gets the compiled ``.mo`` files
(gettext reads only those). The compiler is unlocker's own pure-Python one
(``unlocker/i18n_po.py``, loaded by path: nothing is installed yet), so building needs no GNU
gettext tools on any OS. The udev rules from ``udev/`` go into the package too, for
``unlocker udev install``. An editable install compiles into the source tree instead.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _po_compiler():
    spec = importlib.util.spec_from_file_location("_unlocker_i18n_po", HERE / "unlocker" / "i18n_po.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class BuildWithCatalogues(build_py):
    def run(self) -> None:
        super().run()
        editable = getattr(self, "editable_mode", False)
        target = HERE / "unlocker" if editable else Path(self.build_lib) / "unlocker"
        _po_compiler().compile_tree(HERE / "unlocker" / "locale", target / "locale")
        if not editable:
            rules = target / "support" / "udev_rules"
            rules.mkdir(parents=True, exist_ok=True)
            for source in sorted((HERE / "udev").glob("*.rules")):
                shutil.copyfile(source, rules / source.name)


setup(cmdclass={"build_py": BuildWithCatalogues})
