"""CRC-32 (zlib's) over data that is mostly implicit: runs of zeros and repeated fill patterns.

A sparse image's CRC32 chunk covers the whole expanded image so far, DONT_CARE blocks counted as
zeros (libsparse). Computing that byte by byte costs a pass over gigabytes that are not in the
file; instead the CRC of a run is derived in O(log n) with zlib's ``crc32_combine`` arithmetic
(multiplication by x^(8n) modulo the CRC polynomial, reflected).
"""

from __future__ import annotations

import zlib

_POLY = 0xEDB88320  # reflected CRC-32 polynomial
_X0 = 1 << 31  # x^0 in the reflected representation


def _multmodp(a: int, b: int) -> int:
    """a(x) * b(x) modulo p(x), reflected (zlib's multmodp)."""
    m = _X0
    product = 0
    while m:
        if a & m:
            product ^= b
            if not a & (m - 1):
                break
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return product


def _x2n_table() -> list[int]:
    table = []
    p = _X0 >> 1  # x^1
    for _ in range(32):
        table.append(p)
        p = _multmodp(p, p)
    return table


_X2N = _x2n_table()  # x^(2^k) mod p


def _x8nmodp(n: int) -> int:
    """x^(8n) modulo p: appending n zero bytes, as a multiplier."""
    p = _X0
    k = 3
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC of A+B from crc(A), crc(B) and len(B) (zlib's crc32_combine)."""
    return _multmodp(_x8nmodp(len2), crc1) ^ crc2


def zeros(crc: int, n: int) -> int:
    """``zlib.crc32(b"\\0" * n, crc)`` without the zeros."""
    return _multmodp(_x8nmodp(n), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


def repeat(crc: int, unit: bytes, count: int) -> int:
    """``zlib.crc32(unit * count, crc)`` without building it (doubling, O(log count))."""
    result = crc
    piece_crc, piece_len = zlib.crc32(unit), len(unit)
    while count:
        if count & 1:
            result = combine(result, piece_crc, piece_len)
        count >>= 1
        if count:
            piece_crc = combine(piece_crc, piece_crc, piece_len)
            piece_len *= 2
    return result
