"""The build: the model's modules compiled to C with mypyc where the machine can, plain Python where it cannot.

Everything else about the package is in pyproject.toml. mypyc (part of mypy, which compiles mypy and black) turns
the typed modules listed in sim/model/build.py into C extensions: a national replication costs a sixth to a third less
CPU, with the same results (tests/test_model_build.py). Compiling needs a C compiler and Python's headers; where
either is missing, or FJSIM_PURE_PYTHON is set, the install goes on without it and the model runs as Python.
"""

from __future__ import annotations

import os
import runpy
import sys
import tempfile

from setuptools import setup
from setuptools.command.build_ext import build_ext

BUILD = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sim", "model", "build.py"))


def _say(message: str) -> None:
    print(f"family-justice-sim: {message}", file=sys.stderr)


def compiled_extensions() -> list:
    """The model's modules as mypyc extensions, or none (then it runs as Python)."""
    if BUILD["pure_python_asked"]():
        _say("the model is not compiled (FJSIM_PURE_PYTHON is set)")
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        _say("mypyc is not available: the model runs as Python")
        return []
    try:  # mypycify type-checks the modules first and exits on an error: the install must not fail for it
        # --no-site-packages: mypy sees no installed package (numpy, SimPy, pydantic), as in pip's isolated build,
        # so the compiled code is the same whichever environment the install runs from.
        # A cache of its own, fresh each build: mypyc takes the compiled form of an unchanged module from mypy's
        # cache, and one whose class had changed since failed to compile a module using it (mypy 2.4,
        # "value is not in list"), so an edit could make the next install fall back to Python.
        with tempfile.TemporaryDirectory(prefix="fjsim-mypy-cache-") as cache:
            return mypycify(
                ["--no-site-packages", "--cache-dir", cache, *BUILD["COMPILED_MODULES"]], opt_level="3", separate=True
            )
    except (Exception, SystemExit) as exc:
        _say(f"mypyc could not compile the model ({exc!r}): it runs as Python, correctly but more slowly")
        return []


class OptionalBuildExt(build_ext):
    """Compiling is an optimisation: if the compiler fails, the install succeeds and the model runs as Python."""

    def finalize_options(self) -> None:
        super().finalize_options()
        if self.parallel is None:
            self.parallel = os.cpu_count() or 1

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:
            _say(f"compiling the model failed ({exc}): it runs as Python, correctly but more slowly")

    def build_extension(self, ext) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            _say(f"compiling {ext.name} failed ({exc}): the model runs as Python, correctly but more slowly")


setup(ext_modules=compiled_extensions(), cmdclass={"build_ext": OptionalBuildExt})
