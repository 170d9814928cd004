"""Static files for WhiteNoise: hashed names, and gzip and brotli copies made once by
``collectstatic`` (WhiteNoise then serves each client the smallest it accepts).

Brotli's top quality (11, WhiteNoise's default) spends ~3 s per MB of the API docs'
bundles for a few percent; quality 9 compresses them all in a few seconds,
still well below gzip.
"""

from __future__ import annotations

from typing import Any

from whitenoise.compress import Compressor
from whitenoise.storage import CompressedManifestStaticFilesStorage

BROTLI_QUALITY = 9


class _Compressor(Compressor):
    @staticmethod
    def compress_brotli(data: bytes) -> bytes:
        import brotli

        return brotli.compress(data, quality=BROTLI_QUALITY)


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def create_compressor(self, **kwargs: Any) -> Compressor:
        return _Compressor(**kwargs)
