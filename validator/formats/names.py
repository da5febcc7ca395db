"""Roles and message keys (SPEC §2.1): the ones the server reads, and for the ones other
tools write (OpenAI's ``developer``, ShareGPT's ``from``/``value``, ``thinking``,
``loss_weight``), the one they mean here, so a message can say what to write instead."""

from __future__ import annotations

from typing import Any

from validator.formats.describe import describe

__all__ = ["MESSAGE_KEYS", "ROLES", "SHAREGPT_KEYS", "a_message", "role_problem", "unknown_key"]

ROLES = frozenset(("system", "user", "assistant", "tool"))
MESSAGE_KEYS = frozenset(("role", "content", "weight", "tool_calls", "tool_call_id", "name",
                          "reasoning", "reasoning_content"))
# Roles other tools write, and the role they mean here (SPEC §2.1: developer and function
# appear in no Together source).
_ROLE_HINTS = {"developer": "system", "function": "tool", "human": "user", "gpt": "assistant",
               "model": "assistant", "bot": "assistant", "ai": "assistant"}
# Message keys other tools write, and the key they mean here.
_KEY_HINTS = {"thinking": "reasoning", "reasoning_text": "reasoning", "think": "reasoning",
              "loss_weight": "weight", "loss_mask": "weight", "train": "weight",
              "mask": "weight", "trainable": "weight", "from": "role", "value": "content",
              "function_call": "tool_calls", "tool_call": "tool_calls", "tool_id": "tool_call_id",
              "text": "content"}
SHAREGPT_KEYS = frozenset(("from", "value"))


def role_problem(m: dict[str, Any]) -> str:
    """What is wrong with the role of message ``m`` (not one of :data:`ROLES`), and the fix."""
    role = m.get("role")
    if "role" not in m:
        return "message has no role: set role to one of system, user, assistant, tool"
    hint = None
    if type(role) is str:
        hint = role.lower() if role.lower() in ROLES else _ROLE_HINTS.get(role.lower())
    if hint is not None:
        return (f"{role!r} is not a role here: use {hint!r} "
                "(roles are system, user, assistant, tool)")
    return f"message has role {describe(role)}: role must be one of system, user, assistant, tool"


def unknown_key(key: str) -> str:
    """The message for a message key not in :data:`MESSAGE_KEYS`, with the key it may mean."""
    hint = _KEY_HINTS.get(key)
    if hint is None:
        import difflib  # noqa: PLC0415 - only for a key no hint names

        close = difflib.get_close_matches(key, MESSAGE_KEYS, n=1, cutoff=0.75)
        hint = close[0] if close else None
    fix = f"did you mean {hint!r}?" if hint else "trim it to speed up upload"
    return f"message key {key!r} is ignored by the server: {fix}"


def a_message(role: str | None) -> str:
    """``a user message``, ``an assistant message``, ``a role-less message``."""
    name = role or "role-less"
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} message"
