"""seqattn_lib: the small library behind the seqattn book.

One module per idea; each notebook imports what earlier chapters built:

========================  =========================================  =========
module                    what it holds                              chapter
========================  =========================================  =========
``runtime``               device, torch threads, seeds from one knob 1
``checks``                shape/dtype checks behind every ValueError 1
``data``                  vocabularies, subwords, the book's corpora 1, 4, 6
``train``                 the training loop and its history          1
``plot``                  training curves, attention heatmaps        1, 2
``claims``                asserted results, recorded for the table   all
``metrics``               perplexity, accuracy, BLEU, chrF           1, 4
``rnn``                   RNN cell from scratch, character LM        1
``attention``             score functions, multi-head attention      2
``lstm``                  LSTM and GRU cells from scratch            3
``seq2seq``               encoder-decoder, attention decoder, beam   4
``transformer``           Transformer blocks, GPT-style LM, KV cache 5
``hard_attention``        sampled attention: REINFORCE, Gumbel       6
``efficiency``            long-sequence attention, pruning, etc.     7
``exercises``             checkers for the coding exercises          all
``bootstrap``             installs itself and data in Colab, Kaggle  all
========================  =========================================  =========

One name for one thing: ``n_layers`` (never ``num_layers``), ``d_model`` and ``d_k`` as in
the notation page; tensors batch-first, ``(batch, n, d)``; ``load_torch`` copies a
``torch.nn`` module's weights into ours; ``seed: int`` where Python's ``random`` draws (data
splits, batch samplers) and ``generator: torch.Generator`` where torch draws, both derived
from ``SEQATTN_SEED`` when left ``None``; a split names what it holds out, as a share
(``test_fraction``, ``val_fraction``, or all three ``fractions``) or as a count (``n_test``).
"""

from .runtime import generator, get_device, reseed, seed_for, set_threads, setup

__all__ = ["generator", "get_device", "reseed", "seed_for", "set_threads", "setup"]
__version__ = "0.1.0"
