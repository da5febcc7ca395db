"""A word-level tokenizer and chat template built on the spot, so token counts are known
exactly: each message renders as ``<|role|> words... <|end|>``, 2 tokens plus one per word."""

from __future__ import annotations

import json
from pathlib import Path

TEMPLATE = "{% for m in messages %}<|{{ m.role }}|> {{ m.content }} <|end|> {% endfor %}"


def word_tokenizer(path: Path) -> Path:
    """A folder at ``path`` with ``tokenizer.json`` and ``tokenizer_config.json``."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    path.mkdir()
    tok = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))  # a word, a token
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.save(str(path / "tokenizer.json"))
    (path / "tokenizer_config.json").write_text(json.dumps({"chat_template": TEMPLATE}))
    return path
