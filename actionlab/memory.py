"""Giving a page kernel's freed memory back to the system once its page is built.

Building a page allocates and frees a lot (every widget's state is serialised for the
browser); glibc keeps the freed pages of its heap for later use, so a kernel's resident size
stays at its peak. ``malloc_trim(0)`` hands them back: measured on a member's page of the demo
workshop in a real Voila kernel, about 3 MB of some 90, in well under a millisecond. A full
``gc.collect()`` found nothing to free there and took some 30 ms, so it is not done.
"""

from __future__ import annotations

import ctypes
from functools import cache


@cache
def _malloc_trim():
    """glibc's ``malloc_trim`` from the running program's own symbols, or None (another C
    library, another system)."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def give_back_memory() -> bool:
    """Return the heap's free pages to the system; whether there was a way to."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
