"""Telegram's HTML formatting rules, so the fake rejects exactly what Telegram rejects.

This follows the parser behind the Bot API's ``parse_mode=HTML`` (TDLib's ``parse_html``):
the same short list of supported tags, only the ``&lt; &gt; &amp; &quot;`` named entities
(plus numeric ones), the same error messages with UTF-8 byte offsets, and entity offsets in
UTF-16 code units. A bot that forgets to escape ``<`` in user input fails here as it would
in production. Pure text processing, kept apart from the world's state.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

Entity = dict[str, Any]

_SIMPLE_ENTITIES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_TAGS = frozenset({*_SIMPLE_ENTITIES, "a", "tg-emoji", "pre", "code", "blockquote"})
# Telegram's order for entities sharing a span (outermost first).
_PRIORITIES = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = " \t\r\n\0\v\f"
_TRIMMED = " \t\r\n"
_END = "\0"


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message is Telegram's own."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> tuple[str, list[Entity]]:
    """Return the displayed text and its Bot API entities, or raise `EntityParseError`."""
    return _HtmlParser(source).parse()


def trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip surrounding whitespace as Telegram does, moving entities along."""
    stripped = text.strip(_TRIMMED)
    shift = utf16_len(text[: len(text) - len(text.lstrip(_TRIMMED))])
    limit = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        end = min(entity["offset"] + entity["length"] - shift, limit)
        if end > start:
            kept.append(entity | {"offset": start, "length": end - start})
    return stripped, kept


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_index: int


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self._src = source
        self._pos = 0
        self._out: list[str] = []
        self._utf16 = 0
        self._open: list[_OpenTag] = []
        self._entities: list[Entity] = []

    def parse(self) -> tuple[str, list[Entity]]:
        while self._pos < len(self._src):
            char = self._src[self._pos]
            if char == "&" and self._decode_text_entity():
                continue
            if char != "<":
                self._emit(char)
                self._pos += 1
            elif self._at(self._pos + 1) == "/":
                self._end_tag()
            else:
                self._start_tag()
        if self._open:
            name = self._open[-1].name
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{name}"')
        text = "".join(self._out)
        if any(0xD800 <= ord(char) <= 0xDFFF for char in text):
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        return text, self._finished_entities()

    def _finished_entities(self) -> list[Entity]:
        for entity in self._entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        return sorted(self._entities, key=_entity_order)

    def _at(self, index: int) -> str:
        return self._src[index] if index < len(self._src) else _END

    def _byte_offset(self, index: int) -> int:
        return len(self._src[:index].encode())

    def _fail(self, message: str, index: int) -> EntityParseError:
        return EntityParseError(f"{message} at byte offset {self._byte_offset(index)}")

    def _emit(self, char: str) -> None:
        self._out.append(char)
        self._utf16 += 2 if ord(char) > 0xFFFF else 1

    def _skip_spaces(self, index: int) -> int:
        while index < len(self._src) and self._src[index] in _SPACES:
            index += 1
        return index

    def _decode_text_entity(self) -> bool:
        decoded = self._decode_entity(self._pos)
        if decoded is None:
            return False
        char, self._pos = decoded
        self._emit(char)
        return True

    def _decode_entity(self, pos: int) -> tuple[str, int] | None:
        """Decode ``&...;`` at `pos` (the ``;`` is optional); None leaves it as plain text."""
        if self._at(pos + 1) == "#":
            hexadecimal = self._at(pos + 2) == "x"
            end = pos + 3 if hexadecimal else pos + 2
            digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
            while self._at(end) in digits:
                end += 1
            number = self._src[pos + 3 if hexadecimal else pos + 2 : end]
            code = int(number, 16 if hexadecimal else 10) if number else 0
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return None
            char = chr(code)
        else:
            end = pos + 1
            while self._at(end).isascii() and self._at(end).isalpha():
                end += 1
            if self._src[pos + 1 : end] not in _NAMED_ENTITIES:
                return None
            char = _NAMED_ENTITIES[self._src[pos + 1 : end]]
        return char, end + 1 if self._at(end) == ";" else end

    def _start_tag(self) -> None:
        begin = self._pos
        index = begin + 1
        while self._at(index) not in _SPACES and self._at(index) != ">":
            index += 1
        if index >= len(self._src):
            raise self._fail("Unclosed start tag", begin)
        name = self._src[begin + 1 : index].lower()
        if name not in _TAGS:
            raise self._fail(f'Unsupported start tag "{name}"', begin)
        argument, index = self._attributes(name, index, begin)
        if name == "span" and argument != "spoiler":
            raise self._fail('Tag "span" must have class "tg-spoiler"', begin)
        self._open.append(_OpenTag(name, argument, self._utf16, len(self._out)))
        self._pos = index + 1

    def _attributes(self, tag: str, index: int, begin: int) -> tuple[str, int]:
        argument = ""
        while self._at(index) != ">":
            index = self._skip_spaces(index)
            if self._at(index) == ">":
                break
            name_start = index
            while self._at(index) not in _SPACES and self._at(index) not in "=>/\"'":
                index += 1
            name = self._src[name_start:index]
            if not name:
                raise self._fail(f'Empty attribute name in the tag "{tag}"', begin)
            index = self._skip_spaces(index)
            if self._at(index) != "=":
                if index >= len(self._src):
                    raise self._fail(f'Unclosed start tag "{tag}"', begin)
                argument = _tag_argument(tag, name, "", argument)
                continue
            index = self._skip_spaces(index + 1)
            if index >= len(self._src):
                raise self._fail(f'Unclosed start tag "{tag}"', begin)
            value, index = self._attribute_value(index)
            if index >= len(self._src):
                raise self._fail("Unclosed start tag", begin)
            argument = _tag_argument(tag, name, value, argument)
        return argument, index

    def _attribute_value(self, index: int) -> tuple[str, int]:
        quote = self._at(index)
        if quote not in "'\"":
            start = index
            while self._at(index).isascii() and (
                self._at(index).isalnum() or self._at(index) in ".-"
            ):
                index += 1
            if self._at(index) not in _SPACES and self._at(index) != ">":
                raise self._fail("Unexpected end of name token", start)
            return self._src[start:index].lower(), index
        index += 1
        chars: list[str] = []
        while index < len(self._src) and self._src[index] != quote:
            decoded = self._decode_entity(index) if self._src[index] == "&" else None
            if decoded is None:
                chars.append(self._src[index])
                index += 1
            else:
                char, index = decoded
                chars.append(char)
        return "".join(chars), index + 1 if index < len(self._src) else index

    def _end_tag(self) -> None:
        begin = self._pos
        if not self._open:
            raise self._fail("Unexpected end tag", begin)
        index = begin + 2
        while self._at(index) not in _SPACES and self._at(index) != ">":
            index += 1
        name = self._src[begin + 2 : index].lower()
        index = self._skip_spaces(index)
        if self._at(index) != ">":
            raise self._fail("Unclosed end tag", begin)
        tag = self._open[-1]
        if name and name != tag.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self._byte_offset(begin)}, "
                f'expected "</{tag.name}>", found "</{name}>"'
            )
        if self._utf16 > tag.utf16_offset:
            self._close(tag)
        self._open.pop()
        self._pos = index + 1

    def _close(self, tag: _OpenTag) -> None:
        span = {"offset": tag.utf16_offset, "length": self._utf16 - tag.utf16_offset}
        if tag.name in _SIMPLE_ENTITIES:
            self._entities.append({"type": _SIMPLE_ENTITIES[tag.name], **span})
        elif tag.name == "tg-emoji":
            if not re.fullmatch(r"-?[0-9]+", tag.argument) or int(tag.argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            self._entities.append(
                {"type": "custom_emoji", **span, "custom_emoji_id": tag.argument}
            )
        elif tag.name == "a":
            url = _checked_link(tag.argument or "".join(self._out[tag.text_index :]))
            if url:
                self._entities.append({"type": "text_link", **span, "url": url})
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.argument else "blockquote"
            self._entities.append({"type": kind, **span})
        else:
            self._close_code(tag, span)

    def _close_code(self, tag: _OpenTag, span: dict[str, int]) -> None:
        """``<pre><code class="language-x">`` (either nesting) makes one ``pre`` entity."""
        last = self._entities[-1] if self._entities else {}
        same_span = (last.get("offset"), last.get("length")) == (span["offset"], span["length"])
        if tag.name == "pre" and same_span and last["type"] == "code" and "language" in last:
            last["type"] = "pre"
        elif tag.name == "code" and same_span and last["type"] == "pre" and tag.argument:
            last["language"] = tag.argument
        elif tag.name == "pre":
            self._entities.append({"type": "pre", **span})
        else:
            language = {"language": tag.argument} if tag.argument else {}
            self._entities.append({"type": "code", **span, **language})


def _entity_order(entity: Entity) -> tuple[int, int, int]:
    return entity["offset"], -entity["length"], _PRIORITIES[entity["type"]]


def _tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
    """The one attribute each tag cares about; others are ignored, as Telegram does."""
    if tag == "a" and attribute == "href":
        return value
    if tag == "code" and attribute == "class" and value.startswith("language-"):
        return value.removeprefix("language-")
    if tag == "span" and attribute == "class" and value.startswith("tg-"):
        return value.removeprefix("tg-")
    if tag == "tg-emoji" and attribute == "emoji-id":
        return value
    if tag == "blockquote" and attribute == "expandable":
        return "1"
    return current


def _checked_link(url: str) -> str:
    """Telegram's link normalisation, simplified: scheme added, empty path made ``/``."""
    if not url or any(char.isspace() for char in url):
        return ""
    if "://" not in url and not url.startswith("tg:"):
        url = f"http://{url}"
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and not parts.path:
        parts = parts._replace(path="/")
    return urlunsplit(parts)
