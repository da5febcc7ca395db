"""The tools the ``mixed`` dataset declares (JSON Schema parameters) and seeded arguments
that validate against each tool's schema."""

from __future__ import annotations

import random

from benchmarks.content import Record, _sentence, _text

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

