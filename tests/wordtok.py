"""A word-level tokenizer and chat template built on the spot, so token counts are known
exactly: each message renders as ``<|role|> words... <|end|>``, 2 tokens plus one per word."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

TEMPLATE = "{% for m in messages %}<|{{ m.role }}|> {{ m.content }} <|end|> {% endfor %}"


def word_tokenizer(path: Path, words: Sequence[str] = ()) -> Path:
    """A folder at ``path`` with ``tokenizer.json`` and ``tokenizer_config.json``; ``words``
    get the ids 1, 2, ... in order, every other word is ``[UNK]`` (0)."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    path.mkdir(parents=True)
    vocab = {"[UNK]": 0} | {word: i for i, word in enumerate(words, 1)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))  # a word, a token
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.save(str(path / "tokenizer.json"))
    (path / "tokenizer_config.json").write_text(json.dumps({"chat_template": TEMPLATE}))
    return path


def hub_cache(cache: Path, repo_id: str, source: Path) -> Path:
    """A Hugging Face hub cache at ``cache`` holding ``source``'s tokenizer files as the main
    revision of ``repo_id`` (the layout ``huggingface_hub`` reads offline); returns ``cache``."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / ("0123456789abcdef" * 3)[:40]
    snapshot.mkdir(parents=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (snapshot / name).write_bytes((source / name).read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(snapshot.name)
    return cache
