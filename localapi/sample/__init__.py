"""The bundled sample: model families on the Hub and GitHub, built deterministically into a data dir.

``specs`` describes the families (timeline shapes, sizes, bad inputs); ``build`` turns them into the
folder the local API server reads (JSON in the real response shapes, bare git repositories made with
``git fast-import``). ``build_sample(data_dir)`` is the one entry point.
"""

from localapi.sample.build import build_sample

__all__ = ["build_sample"]
