"""validator.tokens: token counts through a chat template, and which tokens train. A word-level
tokenizer (a token per whitespace-separated word) and small templates make every count
checkable by hand: ``<|user|> hi there <|end|>`` is 4 tokens."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytest.importorskip("tokenizers")
pytest.importorskip("jinja2")

from validator.errors import UsageError
from validator.tokens import (
    INSTALL_HINT,
    ChatTokenizer,
    CountError,
    PreferenceCount,
    TemplateError,
    TokenCount,
    load_tokenizer,
)
from validator.tokens.hf import HFBackend, _estimate
from validator.tokens.render import Template

WORDS = ["<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>", "<|tool|>", "<|end|>",
         "<think>", "</think>", "<tools>", "hi", "there", "hello", "how", "are", "you", "fine",
         "thanks", "ok", "bye", "yes", "no", "hmm", "let", "me", "see"]
SIMPLE = "{% for m in messages %}<|{{ m.role }}|> {{ m.content }} <|end|> {% endfor %}"
TOOLS = "{% if tools %}<tools> {{ tools | tojson }} {% endif %}" + SIMPLE
REASONING = ("{% for m in messages %}<|{{ m.role }}|> {% if m.reasoning_content %}<think> "
             "{{ m.reasoning_content }} </think> {% endif %}{{ m.content }} <|end|> {% endfor %}")
# Qwen3-like: only the last assistant turn keeps its reasoning (appending changes earlier text)
LAST_REASONING = REASONING.replace("if m.reasoning_content", "if m.reasoning_content and loop.last")

CONV = {"messages": [
    {"role": "system", "content": "ok"},                    # 3 tokens  [0, 3)
    {"role": "user", "content": "hi there"},                # 4 tokens  [3, 7)
    {"role": "assistant", "content": "hello how are you"},  # 6 tokens  [7, 13)
    {"role": "user", "content": "fine"},                    # 3 tokens  [13, 16)
    {"role": "assistant", "content": "thanks bye"},         # 4 tokens  [16, 20)
]}


def _tokenizer_json(path: Path, extra_words: tuple[str, ...] = ()) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {w: i for i, w in enumerate(["[UNK]", *WORDS, *extra_words])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.save(str(path))
    return path


def _folder(tmp_path: Path, template: Any = SIMPLE, name: str = "model",
            extra_words: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    _tokenizer_json(folder / "tokenizer.json", extra_words)
    config = {"chat_template": template, "bos_token": "<s>",
              "eos_token": {"content": "</s>", "lstrip": False, "special": True}}
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    return folder


@pytest.fixture
def tok(tmp_path: Path) -> ChatTokenizer:
    return load_tokenizer(str(_folder(tmp_path)))


def _count(tok: ChatTokenizer, sample: dict[str, Any], fmt: str = "conversation",
           inputs: bool | str = "auto", **kw: Any) -> TokenCount:
    result = tok.count(sample, fmt, train_on_inputs=inputs, **kw)
    assert isinstance(result, TokenCount)
    return result


def _weighted(*weights: int | None) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [dict(m) for m in CONV["messages"]]
    for message, weight in zip(messages, weights, strict=True):
        if weight is not None:
            message["weight"] = weight
    return {"messages": messages}


def test_conversation_masks_the_prompt_by_default(tok: ChatTokenizer) -> None:
    n = _count(tok, CONV)
    assert (n.total, n.spans, n.trained, n.approximate) == (20, ((7, 13), (16, 20)), 10, False)
    assert _count(tok, CONV, inputs="false") == _count(tok, CONV, inputs=False) == n
    n = _count(tok, CONV, inputs="true")  # trains everything
    assert (n.total, n.trained, n.spans) == (20, 20, ((0, 20),))
    assert _count(tok, CONV, inputs=True) == n


def test_message_weights(tok: ChatTokenizer) -> None:
    n = _count(tok, _weighted(None, 0, 0, None, 1))  # the first answer masked
    assert (n.total, n.trained, n.spans) == (20, 4, ((16, 20),))
    n = _count(tok, _weighted(None, 1, 1, 0, 1))  # a user message with weight 1 trains too
    assert (n.trained, n.spans) == (14, ((3, 13), (16, 20)))
    n = _count(tok, _weighted(None, None, 0, None, 0))
    assert (n.total, n.trained, n.spans) == (20, 0, ())
    # an explicit weight 0 holds even when train_on_inputs trains the rest
    n = _count(tok, _weighted(None, None, 0, None, None), inputs="true")
    assert n.spans == ((0, 7), (13, 20))
    n = _count(tok, CONV, reasoning_model=True)  # a reasoning model: only the last turn
    assert (n.total, n.trained, n.spans) == (20, 4, ((16, 20),))


def test_trained_after_a_cut(tok: ChatTokenizer) -> None:
    n = _count(tok, CONV)  # trains [7, 13) and [16, 20)
    assert [n.trained_after(cut) for cut in (0, 7, 8, 13, 15, 16, 19, 20, 50)] == \
        [10, 10, 9, 4, 4, 4, 1, 0, 0]


def test_tools_are_rendered_into_the_prompt(tmp_path: Path) -> None:
    tools = [{"type": "function", "function": {"name": "f"}}]
    dumped = json.dumps(tools)  # tojson as transformers: json.dumps, ", " and ": "
    tok = load_tokenizer(str(_folder(tmp_path, TOOLS, extra_words=tuple(dumped.split()))))
    sample = {"messages": CONV["messages"][1:3], "tools": tools}
    n = _count(tok, sample)
    words = 1 + len(dumped.split())
    assert n.total == words + 10
    assert n.spans == ((words + 4, words + 10),)
    assert _count(tok, {"messages": CONV["messages"][1:3]}).total == 10
    picky = load_tokenizer(str(_folder(tmp_path, "{% if messages | length < 2 %}{{ "
                                       "raise_exception('too short') }}{% endif %}" + SIMPLE,
                                       name="p")))  # refuses a partial chat: merged, estimated
    assert _count(picky, {"messages": CONV["messages"][1:3]}) == TokenCount(10, ((0, 10),), True)


def test_reasoning_is_passed_as_reasoning_content(tmp_path: Path) -> None:
    tok = load_tokenizer(str(_folder(tmp_path, REASONING)))
    messages = [{"role": "user", "content": "hi"},
                {"role": "assistant", "content": "yes", "reasoning": "hmm let me see"}]
    n = _count(tok, {"messages": messages})
    # <|user|> hi <|end|> | <|assistant|> <think> hmm let me see </think> yes <|end|>
    assert (n.total, n.spans) == (12, ((3, 12),))
    messages[1] = {"role": "assistant", "content": "yes", "reasoning_content": "hmm"}
    assert _count(tok, {"messages": messages}).total == 9


def test_a_template_that_rewrites_earlier_turns_is_marked_approximate(tmp_path: Path) -> None:
    tok = load_tokenizer(str(_folder(tmp_path, LAST_REASONING)))
    messages = [{"role": "user", "content": "hi"},
                {"role": "assistant", "content": "yes", "reasoning": "hmm"},
                {"role": "user", "content": "ok"},
                {"role": "assistant", "content": "no", "reasoning": "let me see"}]
    n = _count(tok, {"messages": messages})
    # full text: only the last turn has its think block: 3 + 3 + 3 + 8
    assert n.total == 17
    assert n.approximate
    # the boundaries that do hold are exact: the answers are [3, 6) and [9, 17)
    assert n.spans == ((3, 6), (9, 17))
    # single-turn: prefixes are prefixes, exact
    single = _count(tok, {"messages": messages[:2]})
    assert (single.total, single.spans, single.approximate) == (9, ((3, 9),), False)
    # the estimate: where the prefix's last message reappears with its front dropped
    answer = "the answer, long enough to pass the anchor of thirty-two characters. "
    prefix = "U: hi. A: <think> hmm </think> " + answer
    full = "U: hi. A: " + answer + "U: more. A: <think> ok </think> bye. "
    assert _estimate(prefix, full) == len("U: hi. A: " + answer)
    assert _estimate("U: hi. A: <think> x </think> ok. ", "U: hi. A: ok. U: y") == \
        len("U: hi. A: ok. ")
    assert _estimate("abc", "abd") == 2  # nothing of the tail reappears: the first difference


def test_instruction_and_general_text(tok: ChatTokenizer) -> None:
    sample = {"prompt": "hi there how", "completion": "fine thanks"}
    n = _count(tok, sample, "instruction")  # 3 + 2 + the EOS
    assert (n.total, n.spans) == (6, ((3, 6),))
    assert _count(tok, sample, "instruction", inputs="true").spans == ((0, 6),)
    parts = {"prompt": [{"type": "text", "text": "hi there how"}], "completion": "fine thanks"}
    assert _count(tok, parts, "instruction") == n
    for mode in ("auto", "false", "true"):  # general text trains everything: 5 words + EOS
        assert _count(tok, {"text": "hi there how are you"}, "general",
                      inputs=mode).spans == ((0, 6),)


def test_preference_counts_each_side(tok: ChatTokenizer) -> None:
    sample = {"input": {"messages": [{"role": "user", "content": "hi there"}]},
              "preferred_output": [{"role": "assistant", "content": "hello"}],
              "non_preferred_output": [{"role": "assistant", "content": "no no no", "weight": 0}]}
    result = tok.count(sample, "preference_openai", train_on_inputs="true")
    assert isinstance(result, PreferenceCount)
    assert (result.preferred.total, result.preferred.spans) == (7, ((4, 7),))
    assert (result.non_preferred.total, result.non_preferred.trained) == (9, 5)
    assert result.sides == (result.preferred, result.non_preferred)


def test_count_many_matches_count_and_keeps_errors_in_place(tok: ChatTokenizer) -> None:
    samples = [CONV, _weighted(None, 0, 0, None, 1), {"messages": []}, CONV]
    results = tok.count_many(samples, "conversation")
    assert results[0] == results[3] == tok.count(CONV, "conversation")
    assert results[1] == tok.count(samples[1], "conversation")
    assert isinstance(results[2], CountError)


def test_a_bare_tokenizer_json_with_a_template_file(tmp_path: Path) -> None:
    tokenizer_json = _tokenizer_json(tmp_path / "tokenizer.json")
    template = tmp_path / "chat.jinja"
    template.write_text(SIMPLE)
    tok = load_tokenizer(str(tokenizer_json), chat_template=str(template))
    assert _count(tok, CONV).spans == ((7, 13), (16, 20))
    bare = load_tokenizer(str(tokenizer_json))  # no template: text formats work, chats say so
    assert _count(bare, {"text": "hi there"}, "general").total == 2  # no EOS token known
    with pytest.raises(CountError, match="chat_template"):
        bare.count(CONV, "conversation")


def test_named_templates_take_default(tmp_path: Path) -> None:
    named = [{"name": "tool_use", "template": TOOLS}, {"name": "default", "template": SIMPLE}]
    tok = load_tokenizer(str(_folder(tmp_path, named)))
    assert _count(tok, CONV).total == 20
    with pytest.raises(UsageError, match="default"):
        load_tokenizer(str(_folder(tmp_path, named[:1], name="other")))
    folder = _folder(tmp_path, None, name="jinja")  # newer repos: chat_template.jinja
    (folder / "chat_template.jinja").write_text(SIMPLE)
    assert _count(load_tokenizer(str(folder)), CONV).total == 20


def test_a_template_that_raises_gives_a_template_error(tmp_path: Path) -> None:
    template = ("{% if messages[0].role != 'user' %}{{ raise_exception('start with a user "
                "message') }}{% endif %}" + SIMPLE)
    tok = load_tokenizer(str(_folder(tmp_path, template)))
    with pytest.raises(TemplateError, match="start with a user message"):
        tok.count(CONV, "conversation")
    assert _count(tok, {"messages": CONV["messages"][1:3]}).total == 10
    picky = load_tokenizer(str(_folder(tmp_path, "{% if messages | length < 2 %}{{ "
                                       "raise_exception('too short') }}{% endif %}" + SIMPLE,
                                       name="p")))  # refuses a partial chat: merged, estimated
    assert _count(picky, {"messages": CONV["messages"][1:3]}) == TokenCount(10, ((0, 10),), True)
    bad = load_tokenizer(str(_folder(tmp_path, "{{ messages[0].nope.deeper }}", name="b")))
    assert isinstance(bad.count_many([CONV], "conversation")[0], TemplateError)
    with pytest.raises(UsageError, match="does not compile"):
        load_tokenizer(str(_folder(tmp_path, "{% for %}", name="c")))


def _fake_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "hub"
    repo = cache / "models--org--tiny"
    snapshot = repo / "snapshots" / "0123456789abcdef0123456789abcdef01234567"
    snapshot.mkdir(parents=True)
    source = _folder(tmp_path, SIMPLE, name="src")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (snapshot / name).write_bytes((source / name).read_bytes())
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(snapshot.name)
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads both variables when first imported: set them there too
    constants = pytest.importorskip("huggingface_hub.constants")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    return cache


def test_a_hub_id_is_read_from_the_hub_cache(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_hub(tmp_path, monkeypatch)
    tok = load_tokenizer("org/tiny")
    assert tok.name == "org/tiny"
    assert _count(tok, CONV).spans == ((7, 13), (16, 20))
    # not in the cache and no network: say what failed and how to give a folder
    with pytest.raises(UsageError, match=r"org/missing.*local folder"):
        load_tokenizer("org/missing")
    with pytest.raises(UsageError, match="no such file"):
        load_tokenizer(str(tmp_path / "nothing" / "here"))


def test_a_missing_package_gives_the_install_line(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _folder(tmp_path)
    monkeypatch.setitem(sys.modules, "tokenizers", None)  # import tokenizers -> ImportError
    with pytest.raises(UsageError, match="tokenizers package") as info:
        load_tokenizer(str(folder))
    assert INSTALL_HINT in str(info.value)
    monkeypatch.setitem(sys.modules, "mistral_common.tokens.tokenizers.mistral", None)
    with pytest.raises(UsageError, match="mistral_common"):
        load_tokenizer("mistral:v1")


def test_bad_arguments_are_usage_errors(tok: ChatTokenizer) -> None:
    with pytest.raises(UsageError, match="train_on_inputs"):
        tok.count(CONV, "conversation", train_on_inputs="sometimes")
    with pytest.raises(UsageError, match="unknown format"):
        tok.count(CONV, "chat")
    with pytest.raises(UsageError, match="unknown Mistral tokenizer"):
        load_tokenizer("mistral:v99")


def test_mistral_v1_counts_a_conversation() -> None:
    pytest.importorskip("mistral_common")
    tok = load_tokenizer("mistralai/Mixtral-8x7B-Instruct-v0.1", mistral=True)
    messages = [{"role": "user", "content": "Hi there, how are you?"},
                {"role": "assistant", "content": "Fine, thanks."}]
    n = _count(tok, {"messages": messages})
    assert 0 < n.trained < n.total
    assert n.spans[-1][1] == n.total  # the answer (and its EOS) ends the sequence
    assert not n.approximate
    masked = _count(tok, {"messages": [messages[0], {**messages[1], "weight": 0}]})
    assert (masked.total, masked.trained) == (n.total, 0)
    assert _count(tok, {"messages": messages}, inputs=True).trained == n.total
    text = _count(tok, {"prompt": "Hi", "completion": "Fine"}, "instruction")
    assert 0 < text.trained < text.total
    # pickled to worker processes by its version
    assert pickle.loads(pickle.dumps(tok)).count({"messages": messages}, "conversation") == n


def test_count_many_encodes_all_samples_in_one_batch(tok: ChatTokenizer) -> None:
    copy = pickle.loads(pickle.dumps(tok))  # to worker processes: the template as its source
    assert copy.count(CONV, "conversation") == tok.count(CONV, "conversation")
    backend = tok.backend
    assert isinstance(backend, HFBackend)
    calls: list[int] = []
    real = backend.encoder

    def spy(texts: list[str], **kw: Any) -> Any:
        calls.append(len(texts))
        return real.encode_batch(texts, **kw)
    backend.encoder = SimpleNamespace(encode_batch=spy)
    results = tok.count_many([CONV] * 50, "conversation")
    assert calls == [50]
    assert all(r == results[0] for r in results)


def test_byte_level_bpe_spans_hold_exactly_the_answers(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, show_progress=False,
                                  special_tokens=["<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    bpe.train_from_iterator(["hello there, how are you? héllo wörld 😀 assistant user\n"] * 50,
                            trainer)
    chatml = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
              "{% endfor %}")
    folder = _folder(tmp_path, chatml, name="bpe")
    bpe.save(str(folder / "tokenizer.json"))
    tok = load_tokenizer(str(folder))
    messages = [{"role": "user", "content": "héllo 😀 there"},
                {"role": "assistant", "content": "wörld 😀, how are you?"},
                {"role": "user", "content": "ok"},
                {"role": "assistant", "content": "fine 😀"}]
    n = _count(tok, {"messages": messages})
    full = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    ids = bpe.encode(full, add_special_tokens=False).ids
    assert n.total == len(ids)
    assert not n.approximate
    assert [bpe.decode(ids[s:e], skip_special_tokens=False) for s, e in n.spans] == [
        f"<|im_start|>assistant\n{m['content']}<|im_end|>\n" for m in messages[1::2]]


def test_mistral_v3_with_tools_and_a_system_prompt() -> None:
    pytest.importorskip("mistral_common")
    tok = load_tokenizer("mistral:v3")
    tools = [{"type": "function", "function": {"name": "weather", "parameters": {}}}]
    call = {"id": "abcdefghi", "type": "function", "function": {"name": "weather",
                                                                "arguments": "{}"}}
    sample = {"tools": tools, "messages": [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "abcdefghi", "content": "sunny"},
        {"role": "assistant", "content": "Sunny."}]}
    n = _count(tok, sample)  # trains the call and the answer, not the tool result between
    assert (len(n.spans), n.approximate) == (2, False)
    assert 0 < n.trained < n.total
    assert _count(tok, sample, reasoning_model=True).spans == n.spans[1:]


def test_importing_the_package_imports_no_heavy_dependency() -> None:
    code = ("import sys, validator.tokens; print(sorted(m for m in ('tokenizers', 'jinja2', "
            "'huggingface_hub', 'mistral_common') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_template_globals_and_generation_blocks(tmp_path: Path) -> None:
    marked = ("{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}"
              "{{ m.content }}{% endgeneration %}{% else %}{{ m.content }}{% endif %} "
              "{% endfor %}")
    assert Template(marked).render([{"role": "user", "content": "hi"},
                                    {"role": "assistant", "content": "yes"}]) == "hi yes "
    assert len(Template("{{ strftime_now('%Y') }}").render([])) == 4
    extras = Template("{{ bos_token }}{{ enable_thinking }}{{ date_string }}", bos_token="<s>",
                      extras={"date_string": "today"})
    assert extras.render([], reasoning_model=True) == "<s>Truetoday"
    # tojson as transformers: no HTML escaping, indent and friends
    text = Template("{{ messages | tojson }}").render([{"content": "<a>&'"}])
    assert text == '[{"content": "<a>&\'"}]'
    assert Template("{{ messages | tojson(indent=1) }}").render([1]) == "[\n 1\n]"

