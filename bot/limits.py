"""What Telegram accepts in one message, and the one way Relais shortens what would not fit.

Telegram refuses a text over 4,096 characters, a caption over 1,024 and a keyboard over 100
buttons. It counts a length in UTF-16 code units, as it counts entity offsets: an emoji such
as 🏠 counts two. Counting that way is never more than Telegram allows, whichever way a
server counts, so every length here is in UTF-16 code units.

A value too long for where it is shown is cut on a character and ends with « … »; a list
too long for one message is paged by its screen, or, in a message nobody asked for (a
reminder), says how many lines it left out.
"""

from collections.abc import Callable, Iterable, Sequence

from telegram.constants import InlineKeyboardMarkupLimit, MessageLimit

TEXT_MAX = int(MessageLimit.MAX_TEXT_LENGTH)
CAPTION_MAX = int(MessageLimit.CAPTION_LENGTH)
BUTTONS_MAX = int(InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER)
# A button's label: Telegram has no documented limit, a phone shows far less, and a keyboard
# of long labels meets Telegram's undocumented limit on the markup's size.
LABEL_MAX = 64
ELLIPSIS = "…"


def length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def cut(text: str, limit: int = TEXT_MAX) -> str:
    """`text` if it fits in `limit`, else its beginning and « … », `limit` long at most."""
    if length(text) <= limit:
        return text
    return _prefix(text, limit - length(ELLIPSIS)).rstrip() + ELLIPSIS


def button_text(text: str) -> str:
    """A value shown on a button (a name, a residence, a home)."""
    return cut(text, LABEL_MAX)


def pages(blocks: Iterable[str], room: int = TEXT_MAX, separator: str = "\n\n") -> list[str]:
    """The blocks, in order, in as few texts of at most `room` as keep each block whole
    where it fits; a longer block goes on over the next texts, split between words."""
    found: list[str] = []
    for block in blocks:
        for piece in _pieces(block, room):
            joined = f"{found[-1]}{separator}{piece}" if found else piece
            if found and length(joined) <= room:
                found[-1] = joined
            else:
                found.append(piece)
    return found


def fit_lines(head: str, lines: Sequence[str], more: Callable[[int], str]) -> str:
    """`head` and as many of `lines` as fit one message, then `more(count)` saying how many
    were left out (for a message nobody asked for, which cannot be paged)."""
    lines = [cut(line) for line in lines]
    text = "\n".join([head, *lines])
    kept = len(lines)
    while length(text) > TEXT_MAX and kept > 0:
        kept -= 1
        text = "\n".join([head, *lines[:kept], more(len(lines) - kept)])
    return cut(text)


def _prefix(text: str, limit: int) -> str:
    """The longest beginning of `text` at most `limit` long (never half a character)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return text[:index]
    return text


def _pieces(block: str, room: int) -> list[str]:
    """`block` in pieces of at most `room`, each ending at a space where there is one."""
    pieces = []
    while length(block) > room:
        head = _prefix(block, room)
        space = max(head.rfind(" "), head.rfind("\n"))
        if space > len(head) // 2:
            head = head[: space + 1]
        pieces.append(head.rstrip())
        block = block[len(head) :].lstrip()
    return [*pieces, block] if block else pieces
