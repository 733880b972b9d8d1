"""The optional C extensions; every other setting is in pyproject.toml.

Each is optional: where one cannot be built (no compiler, no Python headers, not GCC or Clang)
the install still succeeds and the same work is done in Python, slower:
- artifact_gui.core._md5mb (multi-buffer MD5, to verify downloads; else hashlib, core/md5_lanes.py);
- artifact_gui.core._manifest (a listed folder's entries, and a version's per-entry checks, digest
  and row comparison at commit; else their Python twins, core/manifest_steps.py);
- artifact_gui.core._listing (a folder's listing and stats outside the GIL, for add_dir; else
  os.scandir, core/walk.py). POSIX only."""

import sys

from setuptools import Extension, setup

# -O3 also where Python's flags say -O0: the SIMD rotates need their shift counts folded to constants.
_FLAGS = [] if sys.platform == "win32" else ["-O3"]
_MODULES = ["_md5mb", "_manifest"] + ([] if sys.platform == "win32" else ["_listing"])

setup(ext_modules=[Extension(f"artifact_gui.core.{name}", [f"artifact_gui/core/{name}.c"], extra_compile_args=_FLAGS,
                             optional=True) for name in _MODULES])
