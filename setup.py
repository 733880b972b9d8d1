"""The optional C extension; every other setting is in pyproject.toml.

artifact_gui.core._md5mb (multi-buffer MD5, used to verify downloads) is optional: where it cannot be
built (no compiler, no Python headers, not GCC or Clang) the install still succeeds and
downloads verify with hashlib (artifact_gui/core/md5_lanes.py)."""

import sys

from setuptools import Extension, setup

# -O3 also where Python's flags say -O0: the SIMD rotates need their shift counts folded to constants.
_FLAGS = [] if sys.platform == "win32" else ["-O3"]

setup(ext_modules=[Extension("artifact_gui.core._md5mb", ["artifact_gui/core/_md5mb.c"], extra_compile_args=_FLAGS,
                             optional=True)])
