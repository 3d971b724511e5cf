"""Unit tests run with the book's thread setting (``SEQATTN_THREADS``, default 1): with two
pytest workers on two cores, more torch threads per worker only oversubscribe the CPU."""

from seqattn_lib.runtime import set_threads

set_threads()
