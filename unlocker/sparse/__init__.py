"""Android sparse images: parse, validate, apply, write, convert and resparse, all streaming."""

from unlocker.sparse.format import MAGIC, SparseHeader, is_sparse, parse_header
from unlocker.sparse.reader import Chunk, apply_sparse, iter_chunks, read_header

__all__ = [
    "MAGIC",
    "Chunk",
    "SparseHeader",
    "apply_sparse",
    "is_sparse",
    "iter_chunks",
    "parse_header",
    "read_header",
]
