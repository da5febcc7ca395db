"""The shapes of the samples the scan's fast path (fastpath.py) reads, as msgspec structs.

Each refuses what it does not name (``forbid_unknown_fields``), so that msgspec, decoding a
line into them, leaves to Python only what types cannot say. A conversation's messages are a
union tagged by ``role``: a key that a role does not take here (``reasoning`` on a user
message, ``tool_call_id`` on an assistant one) fails the decoding, as does a role outside the
four. Content parts are a union tagged by ``type``. ``gc=False``: none holds a cycle.
"""

from __future__ import annotations

from typing import Literal, final

import msgspec

__all__ = ["Answer", "Assistant", "Call", "Conversation", "Function", "Image", "Input",
           "Message", "Parts", "Preference", "Reply", "System", "Text", "Turn", "Url", "User"]


class Function(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    name: str
    arguments: str


class Call(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    id: str
    type: Literal["function"]
    function: Function


@final
class Text(msgspec.Struct, tag_field="type", tag="text", forbid_unknown_fields=True, gc=False):
    text: str


class Url(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    url: msgspec.Raw  # its JSON text, judged by formats.content.image_json_is_clean


@final
class Image(msgspec.Struct, tag_field="type", tag="image_url", forbid_unknown_fields=True,
             gc=False):
    image_url: Url


Parts = list[Text | Image]


# A conversation's messages, by role: the decoder refuses a key a role does not take here.
@final
class System(msgspec.Struct, tag_field="role", tag="system", forbid_unknown_fields=True,
              gc=False):
    content: str | Parts
    weight: Literal[0, 1] | msgspec.UnsetType = msgspec.UNSET


@final
class User(msgspec.Struct, tag_field="role", tag="user", forbid_unknown_fields=True,
            gc=False):
    content: str | Parts
    weight: Literal[0, 1] | msgspec.UnsetType = msgspec.UNSET


@final
class Assistant(msgspec.Struct, tag_field="role", tag="assistant", forbid_unknown_fields=True,
                 gc=False):
    content: str | Parts | msgspec.UnsetType | None = msgspec.UNSET
    weight: Literal[0, 1] | msgspec.UnsetType = msgspec.UNSET
    reasoning: str | msgspec.UnsetType = msgspec.UNSET
    reasoning_content: str | msgspec.UnsetType = msgspec.UNSET
    tool_calls: list[Call] | msgspec.UnsetType = msgspec.UNSET


@final
class Answer(msgspec.Struct, tag_field="role", tag="tool", forbid_unknown_fields=True,
              gc=False):
    content: str
    tool_call_id: str


Turn = System | User | Assistant | Answer


class Conversation(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    messages: list[Turn]
    tools: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


class Message(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A message of a preference input: no weight, which does not train there."""

    role: str
    content: str
    reasoning: str | msgspec.UnsetType = msgspec.UNSET


class Input(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    messages: list[Message]


class Reply(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    role: Literal["assistant"]
    content: str


class Preference(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    input: Input
    preferred_output: list[Reply]
    non_preferred_output: list[Reply]
