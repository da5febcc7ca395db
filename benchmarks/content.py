"""Building blocks of the benchmark records: mixed-script text (Latin with accents, CJK,
Cyrillic, emoji, code blocks), system prompts in several languages, and small real PNG images.

Every function draws from the RNG it is given, in a fixed order, so the same seed gives the
same text and images.
"""

from __future__ import annotations

import base64
import random
import struct
import zlib
from typing import Any

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

# --- images ----------------------------------------------------------------------------------


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

