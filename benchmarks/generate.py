"""Seeded generator of realistic fine-tuning datasets of a requested size.

Four datasets, each a file that ftdata accepts with no error and no warning:

- ``conversational``: multi-turn chats with system prompts, long content mixing Latin with
  accents, CJK, Cyrillic and emoji, and message weights 0/1 on half the samples;
- ``mixed``: conversations with ``tools`` (JSON Schema parameters), tool calls whose JSON-string
  arguments match the schema, parallel tool calls, ``tool`` answers with ``tool_call_id``,
  reasoning on assistant messages, and samples with small real PNG images where every message
  uses content-part lists;
- ``instruction``: ``prompt`` / ``completion`` pairs;
- ``preference``: ``input`` conversations with a preferred and a non-preferred output.

Speed: building records in Python runs at a few MB/s, far too slow for 1 GB. So a pool of up to
:data:`POOL_LINES` varied records is built once per dataset from a seeded RNG and serialized with
orjson, and the file is written by repeating that pool as one block. The records come from the
RNG in sequence, so a smaller file of the same dataset and seed is a prefix of a larger one.

    python -m benchmarks.generate mixed 200KB /tmp/mixed.jsonl
"""

from __future__ import annotations

import argparse
import base64
import random
import re
import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

__all__ = ["DATASETS", "POOL_LINES", "generate", "parse_size", "pool"]

POOL_LINES = 1024
# bump when the records change, so cached files under benchmarks/data/ are rebuilt
GENERATOR_VERSION = 1

Record = dict[str, Any]
Message = dict[str, Any]

# --- text ------------------------------------------------------------------------------------

def _words(text: str) -> list[str]:
    return text.split()


_LATIN = _words(
    "the model answers every question with care and a short example before the details of the "
    "data set file line sample format check rule training run evaluation result because when "
    "although however therefore first then finally please note that this value is correct"
) + _words(
    "café naïve déjà façade résumé élève être très français über Größe Straße schön Mädchen "
    "Zürich mañana señor años niño corazón información coração São Paulo ação não żółć łódź "
    "Kraków příliš žluťoučký kůň úpěl ďábelské ódy Ærøskøbing smørrebrød crème brûlée fiancée "
    "Ångström São Tomé Malmö Øresund ça va naïveté Bogotá Montréal"
)
_CJK = _words(
    "数据 模型 训练 验证 文件 格式 每一行 都是 一个 样本 我们 需要 检查 结果 正确 错误 问题 答案 "
    "データ セット 学習 検証 ファイル 形式 こんにちは ありがとう 日本語 東京 大阪 例えば 確認 "
    "데이터 모델 학습 검증 파일 안녕하세요 감사합니다 서울 예시 결과"
)
_CYRILLIC = _words(
    "данные модель обучение проверка файл формат строка пример ответ вопрос привет спасибо "
    "Москва Санкт-Петербург результат ошибка значение поле сообщение помощник пользователь "
    "Київ дякую будь ласка Беларусь Сербија здраво"
)
_EMOJI = _words("🙂 🚀 ✅ 📊 🤖 🔥 👍🏽 🇯🇵 🇫🇷 👨‍👩‍👧 ❤️ ⚠️ 🧪 💡 🎉 ∑ ≈ → ½ ©")
_CODE = (
    'def f(x):\n    return {"key": x, "path": "C:\\\\data\\\\train.jsonl"}\n',
    "SELECT id, name FROM users WHERE name LIKE 'Jo%' ORDER BY id;\n",
    'const data = JSON.parse("{\\"a\\": 1}");\t// tabs\tand "quotes"\n',
    "for i in range(10):\n    print(f\"{i:>3} \\u00e9\")\n",
)
_SCRIPTS: tuple[tuple[list[str], str, float], ...] = (
    (_LATIN, " ", 0.55),
    (_CJK, "", 0.18),
    (_CYRILLIC, " ", 0.17),
    (_EMOJI, " ", 0.10),
)
_SCRIPT_WEIGHTS = [w for _, _, w in _SCRIPTS]


def _sentence(rng: random.Random) -> str:
    words, sep, _ = rng.choices(_SCRIPTS, _SCRIPT_WEIGHTS)[0]
    text = sep.join(rng.choices(words, k=rng.randint(5, 18)))
    if sep and rng.random() < 0.3:  # an emoji or two inside Latin or Cyrillic text
        text += " " + rng.choice(_EMOJI)
    end = "。" if not sep else rng.choice(".!?.")
    return text[:1].upper() + text[1:] + end


def _text(rng: random.Random, low: int, high: int) -> str:
    """Paragraphs of mixed-script sentences, ``low`` to ``high`` characters long."""
    target = rng.randint(low, high)
    parts: list[str] = []
    size = 0
    while size < target:
        if rng.random() < 0.04:
            piece = "```\n" + rng.choice(_CODE) + "```"
        else:
            piece = " ".join(_sentence(rng) for _ in range(rng.randint(1, 4)))
        parts.append(piece)
        size += len(piece) + 2
    return "\n\n".join(parts)


_SYSTEM_PROMPTS = (
    "You are a helpful assistant. Answer concisely and cite the line numbers you used.",
    "Tu es un assistant serviable qui répond en français, avec précision et clarté.",
    "Du bist ein hilfreicher Assistent. Antworte auf Deutsch und erkläre jeden Schritt.",
    "你是一个乐于助人的助手。请用中文回答，并给出例子。",  # noqa: RUF001 - real Chinese commas
    "あなたは親切なアシスタントです。日本語で丁寧に答えてください。",
    "Ты полезный помощник. Отвечай по-русски, кратко и по делу.",
    "You are a data-quality reviewer 🧪: point out every problem in the sample you are shown.",
    "Eres un asistente útil. Responde en español y usa listas cuando ayuden.",
)

# --- conversational --------------------------------------------------------------------------


def _conversational(rng: random.Random, _index: int) -> Record:
    weighted = rng.random() < 0.5
    messages: list[Message] = []
    if rng.random() < 0.8:
        messages.append({"role": "system", "content": rng.choice(_SYSTEM_PROMPTS)})
    turns = rng.randint(1, 5)
    for turn in range(turns):
        messages.append({"role": "user", "content": _text(rng, 60, 900)})
        messages.append({"role": "assistant", "content": _text(rng, 300, 3500)})
        if weighted:
            messages[-2]["weight"] = 0
            # earlier answers may be left out of training; the last one always trains
            messages[-1]["weight"] = 1 if turn == turns - 1 else rng.randint(0, 1)
    if weighted and messages[0]["role"] == "system":
        messages[0]["weight"] = 0
    return {"messages": messages}


# --- mixed: tools, parallel calls, reasoning, images -----------------------------------------

_TOOLS: tuple[Record, ...] = (
    {"type": "function", "function": {
        "name": "get_weather",
        "description": "Current weather and a forecast for a city.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 1},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                "days": {"type": "integer", "minimum": 1, "maximum": 14},
            },
            "required": ["city"],
            "additionalProperties": False,
        }}},
    {"type": "function", "function": {
        "name": "search_documents",
        "description": "Full-text search over the knowledge base.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "top_k": {"type": "integer", "minimum": 1, "maximum": 50},
                "filters": {
                    "type": "object",
                    "properties": {
                        "language": {"type": "string", "enum": ["en", "fr", "de", "ja", "ru"]},
                        "after": {"type": "string", "format": "date"},
                    },
                    "additionalProperties": False,
                },
            },
            "required": ["query"],
        }}},
    {"type": "function", "function": {
        "name": "convert_currency",
        "description": "Convert an amount between two ISO 4217 currencies.",
        "parameters": {
            "type": "object",
            "properties": {
                "amount": {"type": "number", "exclusiveMinimum": 0},
                "from": {"type": "string", "pattern": "^[A-Z]{3}$"},
                "to": {"type": "string", "pattern": "^[A-Z]{3}$"},
            },
            "required": ["amount", "from", "to"],
            "additionalProperties": False,
        }}},
    {"type": "function", "function": {
        "name": "create_event",
        "description": "Create a calendar event.",
        "parameters": {
            "type": "object",
            "properties": {
                "title": {"type": "string"},
                "start": {"type": "string", "format": "date-time"},
                "duration_minutes": {"type": "integer", "minimum": 5},
                "attendees": {"type": "array", "items": {"type": "string", "format": "email"},
                              "uniqueItems": True},
            },
            "required": ["title", "start"],
        }}},
    {"type": "function", "function": {
        "name": "run_sql",
        "description": "Run a read-only SQL query.",
        "parameters": {
            "type": "object",
            "properties": {
                "query": {"type": "string"},
                "database": {"type": "string", "enum": ["analytics", "billing", "users"]},
                "limit": {"type": "integer", "minimum": 1, "maximum": 1000},
            },
            "required": ["query", "database"],
        }}},
    {"type": "function", "function": {
        "name": "translate_text",
        "description": "Translate text into another language.",
        "parameters": {
            "type": "object",
            "properties": {
                "text": {"type": "string"},
                "target_language": {"type": "string", "enum": ["fr", "de", "ja", "ru", "es"]},
                "formality": {"type": "string", "enum": ["formal", "informal"]},
            },
            "required": ["text", "target_language"],
        }}},
    {"type": "function", "function": {
        "name": "get_stock_price",
        "description": "Latest price of a listed stock.",
        "parameters": {
            "type": "object",
            "properties": {
                "symbol": {"type": "string", "pattern": "^[A-Z]{1,5}$"},
                "exchange": {"type": "string", "enum": ["NASDAQ", "NYSE", "TSE", "LSE"]},
            },
            "required": ["symbol"],
        }}},
    {"type": "function", "function": {
        "name": "send_email",
        "description": "Send an e-mail on the user's behalf.",
        "parameters": {
            "type": "object",
            "properties": {
                "to": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "subject": {"type": "string", "maxLength": 200},
                "body": {"type": "string"},
                "priority": {"type": "string", "enum": ["low", "normal", "high"]},
            },
            "required": ["to", "subject", "body"],
        }}},
)
_TOOL_NAMES = [t["function"]["name"] for t in _TOOLS]
_CITIES = ("Paris", "Zürich", "東京", "Москва", "São Paulo", "Kraków", "서울", "Montréal")
_WORDS = ("dataset", "validation", "fine-tuning", "données", "数据", "обучение", "naïve 🙂")


def _date(rng: random.Random) -> str:
    return f"202{rng.randint(0, 5)}-{rng.randint(1, 12):02}-{rng.randint(1, 28):02}"


def _arguments(rng: random.Random, name: str) -> Record:
    """Arguments for tool ``name`` that validate against its parameters schema."""
    args: Record
    if name == "get_weather":
        args = {"city": rng.choice(_CITIES)}
        if rng.random() < 0.7:
            args["unit"] = rng.choice(["celsius", "fahrenheit"])
        if rng.random() < 0.5:
            args["days"] = rng.randint(1, 14)
    elif name == "search_documents":
        args = {"query": " ".join(rng.choices(_WORDS, k=3)), "top_k": rng.randint(1, 50)}
        if rng.random() < 0.5:
            args["filters"] = {"language": rng.choice(["en", "fr", "de", "ja", "ru"]),
                               "after": _date(rng)}
    elif name == "convert_currency":
        args = {"amount": round(rng.uniform(1, 5000), 2),
                "from": rng.choice(["EUR", "USD", "JPY"]),
                "to": rng.choice(["GBP", "CHF", "RUB", "KRW"])}
    elif name == "create_event":
        attendees = rng.sample(range(100), rng.randint(0, 4))
        args = {"title": _sentence(rng)[:60],
                "start": f"{_date(rng)}T{rng.randint(8, 18):02}:{rng.choice([0, 30]):02}:00Z",
                "duration_minutes": rng.choice([15, 30, 45, 60, 90]),
                "attendees": [f"user{i}@example.com" for i in attendees]}
    elif name == "run_sql":
        args = {"query": f"SELECT id, name FROM users WHERE id > {rng.randint(0, 10**6)};",
                "database": rng.choice(["analytics", "billing", "users"]),
                "limit": rng.randint(1, 1000)}
    elif name == "translate_text":
        args = {"text": _sentence(rng),
                "target_language": rng.choice(["fr", "de", "ja", "ru", "es"]),
                "formality": rng.choice(["formal", "informal"])}
    elif name == "get_stock_price":
        args = {"symbol": rng.choice(["AAPL", "MSFT", "NVDA", "SONY", "BP"]),
                "exchange": rng.choice(["NASDAQ", "NYSE", "TSE", "LSE"])}
    elif name == "send_email":
        args = {"to": [f"team{rng.randint(1, 9)}@example.org"], "subject": _sentence(rng)[:80],
                "body": _text(rng, 80, 400), "priority": rng.choice(["low", "normal", "high"])}
    else:
        raise ValueError(name)
    return args


def _call_id(rng: random.Random) -> str:
    return f"call_{rng.getrandbits(96):024x}"


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _assistant(rng: random.Random, content: Any, *, reasoning: bool = True) -> Message:
    msg: Message = {"role": "assistant", "content": content}
    if reasoning:
        key = "reasoning" if rng.random() < 0.8 else "reasoning_content"
        msg[key] = _text(rng, 80, 600)
    return msg


def _tool_sample(rng: random.Random, parallel: bool) -> Record:
    tools = rng.sample(_TOOLS, rng.randint(2, 5))
    names = [t["function"]["name"] for t in tools]
    messages: list[Message] = []
    if rng.random() < 0.6:
        messages.append({"role": "system", "content": rng.choice(_SYSTEM_PROMPTS)})
    for _step in range(rng.randint(1, 2)):
        messages.append({"role": "user", "content": _text(rng, 40, 400)})
        for _round in range(rng.randint(1, 2)):
            n_calls = rng.randint(2, min(3, len(names))) if parallel else 1
            calls = [{"id": _call_id(rng), "type": "function",
                      "function": {"name": name, "arguments": _dumps(_arguments(rng, name))}}
                     for name in rng.sample(names, n_calls)]
            call: Message = {"role": "assistant", "tool_calls": calls}
            if rng.random() < 0.3:
                call["content"] = None
            elif rng.random() < 0.3:
                call["content"] = _sentence(rng)
            if rng.random() < 0.7:
                call["reasoning"] = _text(rng, 60, 300)
            messages.append(call)
            for c in calls:
                result = {"ok": True, "result": _text(rng, 40, 300), "n": rng.randint(0, 99)}
                messages.append({"role": "tool", "tool_call_id": c["id"],
                                 "content": _dumps(result)})
        messages.append(_assistant(rng, _text(rng, 200, 1500)))
    return {"tools": tools, "messages": messages}


def _png(rng: random.Random) -> bytes:
    """A small real PNG (RGB, 8 bits): a gradient with a few noisy rows."""
    width, height = rng.randint(8, 40), rng.randint(8, 40)
    r0, g0, b0 = rng.randrange(256), rng.randrange(256), rng.randrange(256)
    rows = []
    for y in range(height):
        noisy = rng.random() < 0.2
        row = bytearray(b"\x00")  # filter: none
        for x in range(width):
            if noisy:
                row += bytes((rng.randrange(256), rng.randrange(256), rng.randrange(256)))
            else:
                row += bytes(((r0 + 5 * x) & 255, (g0 + 7 * y) & 255, (b0 + 3 * (x + y)) & 255))
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


def _image_urls(seed_rng: random.Random) -> list[str]:
    return ["data:image/png;base64," + base64.b64encode(_png(seed_rng)).decode()
            for _ in range(16)]


def _parts(text: str) -> list[Record]:
    return [{"type": "text", "text": text}]


def _image_sample(rng: random.Random, images: list[str]) -> Record:
    """Every message uses content-part lists (a sample may not mix the two forms)."""
    messages: list[Message] = []
    if rng.random() < 0.5:
        messages.append({"role": "system", "content": _parts(rng.choice(_SYSTEM_PROMPTS))})
    for turn in range(rng.randint(1, 3)):
        parts = _parts(_text(rng, 30, 300))
        if turn == 0 or rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                parts.append({"type": "image_url", "image_url": {"url": rng.choice(images)}})
        user: Message = {"role": "user", "content": parts}
        if rng.random() < 0.5:
            user["weight"] = 0  # a message with an image may have weight 0, never 1
        messages.append(user)
        messages.append(_assistant(rng, _parts(_text(rng, 100, 1200)),
                                   reasoning=rng.random() < 0.5))
    return {"messages": messages}


def _mixed_maker() -> Callable[[random.Random, int], Record]:
    images: list[str] = []

    def make(rng: random.Random, index: int) -> Record:
        if not images:  # drawn from the dataset's RNG on the first record: deterministic
            images.extend(_image_urls(rng))
        kind = index % 4
        if kind == 0:
            return _tool_sample(rng, parallel=False)
        if kind == 1:
            return _tool_sample(rng, parallel=True)
        if kind == 2:
            return _image_sample(rng, images)
        # a plain chat with reasoning, tools declared but not called
        record = _conversational(rng, index)
        for m in record["messages"]:
            if m["role"] == "assistant":
                m["reasoning"] = _text(rng, 80, 500)
        record["tools"] = rng.sample(_TOOLS, rng.randint(1, 3))
        return record

    return make


# --- instruction, preference -----------------------------------------------------------------


def _instruction(rng: random.Random, _index: int) -> Record:
    prompt = _text(rng, 100, 1500)
    if rng.random() < 0.3:
        prompt = rng.choice(_SYSTEM_PROMPTS) + "\n\n" + prompt
    return {"prompt": prompt, "completion": _text(rng, 200, 2500)}


def _preference(rng: random.Random, _index: int) -> Record:
    messages: list[Message] = []
    if rng.random() < 0.6:
        messages.append({"role": "system", "content": rng.choice(_SYSTEM_PROMPTS)})
    for _ in range(rng.randint(0, 2)):
        messages.append({"role": "user", "content": _text(rng, 40, 500)})
        messages.append({"role": "assistant", "content": _text(rng, 100, 1000)})
    messages.append({"role": "user", "content": _text(rng, 40, 600)})
    good = _text(rng, 200, 2000)
    bad = _text(rng, 50, 1200)
    return {"input": {"messages": messages},
            "preferred_output": [{"role": "assistant", "content": good}],
            "non_preferred_output": [{"role": "assistant", "content": bad}]}


_MAKERS: dict[str, Callable[[], Callable[[random.Random, int], Record]]] = {
    "conversational": lambda: _conversational,
    "mixed": _mixed_maker,
    "instruction": lambda: _instruction,
    "preference": lambda: _preference,
}
DATASETS = tuple(_MAKERS)

# --- writing ---------------------------------------------------------------------------------


def pool(dataset: str, seed: int = 0, *, max_bytes: int | None = None) -> list[bytes]:
    """The pool of serialized lines (each ending in a newline) the dataset repeats.

    Up to :data:`POOL_LINES` lines; with ``max_bytes``, stop once the lines reach that size
    (the lines built are the same first lines either way).
    """
    if dataset not in _MAKERS:
        raise ValueError(f"unknown dataset {dataset!r}: use one of {', '.join(DATASETS)}")
    make = _MAKERS[dataset]()
    rng = random.Random(f"ftdata-bench:{dataset}:{seed}")
    lines: list[bytes] = []
    total = 0
    while len(lines) < POOL_LINES and (max_bytes is None or total < max_bytes):
        line = orjson.dumps(make(rng, len(lines))) + b"\n"
        lines.append(line)
        total += len(line)
    return lines


def generate(dataset: str, size: int, path: str | Path, seed: int = 0) -> int:
    """Write about ``size`` bytes of ``dataset`` to ``path``; return the number of lines.

    The file holds whole lines only: at most ``size`` bytes, less than one line short of it,
    and always at least one line.
    """
    if size <= 0:
        raise ValueError("size must be positive")
    lines = pool(dataset, seed, max_bytes=size)
    block = b"".join(lines)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    written = 0
    count = 0
    with tmp.open("wb") as handle:
        repeats = size // len(block)
        for _ in range(repeats):
            handle.write(block)
        written = repeats * len(block)
        count = repeats * len(lines)
        for line in lines:
            if written + len(line) > size:
                break
            handle.write(line)
            written += len(line)
            count += 1
        if count == 0:
            handle.write(lines[0])
            count = 1
    tmp.replace(path)
    return count


_UNITS = {"": 1, "B": 1, "KB": 1000, "MB": 1000**2, "GB": 1000**3,
          "KIB": 1024, "MIB": 1024**2, "GIB": 1024**3}


def parse_size(text: str) -> int:
    """``"100MB"`` -> 100,000,000; ``"1GiB"``, ``"200KB"`` and plain byte counts work too."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", text)
    unit = match.group(2).upper() if match else None
    if match is None or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (examples: 200KB, 100MB, 1GB, 1GiB, 4096)")
    return int(float(match.group(1)) * _UNITS[unit])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate",
                                     description="Write a seeded benchmark dataset.")
    parser.add_argument("dataset", choices=DATASETS)
    parser.add_argument("size", type=parse_size, help="bytes, or 200KB, 100MB, 1GB ...")
    parser.add_argument("path")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    lines = generate(args.dataset, args.size, args.path, args.seed)
    print(f"{args.path}: {lines} lines, {Path(args.path).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
