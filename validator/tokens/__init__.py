"""Token counts as the model sees them (chat template + tokenizer), and which tokens train.

Optional: needs the ``tokens`` extra (``pip install 'ftdata[tokens]'``); nothing heavy is
imported until a tokenizer is loaded. Typical use::

    tok = load_tokenizer("path/to/model-folder")          # or "org/name", "mistral:v1"
    n = tok.count(sample, "conversation", train_on_inputs="auto")
    n.total, n.trained, n.trained_after(limit)            # tokens a cut at ``limit`` loses
    tok.count_many(samples, "conversation")               # one batched tokenizer call

See :mod:`validator.tokens.count` for which tokens train, :mod:`validator.tokens.hf` for how
message boundaries are found and where they can be off by a token.
"""

from validator.tokens.count import (
    ChatTokenizer,
    Counted,
    PreferenceCount,
    TokenCount,
    train_on_inputs_mode,
)
from validator.tokens.load import load_tokenizer
from validator.tokens.mistral import MISTRAL_MODELS
from validator.tokens.render import INSTALL_HINT, CountError, TemplateError

__all__ = ["INSTALL_HINT", "MISTRAL_MODELS", "ChatTokenizer", "CountError", "Counted",
           "PreferenceCount", "TemplateError", "TokenCount", "load_tokenizer",
           "train_on_inputs_mode"]
