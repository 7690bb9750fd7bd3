"""Buttons declared once: the shape of a button's callback data, its fields and their bounds,
and who may tap it — from which its data is built, parsed and checked, its handler's pattern
made, and its line of the permission table read (the idea of aiogram's CallbackData).

    class CaseCard(Button, shape="cs:c:{case}", roles=CASE_TEAM):
        case: Id

    CaseCard(case=12).button(_("Voir la fiche"))     # callback_data "cs:c:12"
    CallbackQueryHandler(show_card, pattern=CaseCard.pattern)
    CaseCard.read(update).case                        # 12, an int within its bounds

A button's data is never trusted: Telegram hands back whatever a client sends. `parse`
accepts only the declared shape, each field within its bounds; anything else is no button
of Relais (bot.access refuses it before any handler runs).
"""

import dataclasses
import re
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, Self

from telegram import InlineKeyboardButton, Update

from domain.vocabulary import Role

# Telegram's limit on callback data, in bytes (64); PTB names it.
DATA_LIMIT = 64
_FIELD = re.compile(r"{(\w+)}")


class Codec:
    """How one field is written in callback data: its pattern, and the way back."""

    regex: str
    longest: str  # the longest text the field can take, to check the 64 bytes statically

    def encode(self, value: Any) -> str:
        return str(value)

    def decode(self, text: str) -> Any:
        raise NotImplementedError

    def samples(self) -> list[str]:
        """Valid texts of the field, for the tests that try every button."""
        return [self.longest]


@dataclasses.dataclass(frozen=True)
class Integer(Codec):
    low: int
    high: int

    @property
    def regex(self) -> str:  # type: ignore[override]
        return f"[0-9]{{1,{len(str(self.high))}}}"

    @property
    def longest(self) -> str:  # type: ignore[override]
        return str(self.high)

    def decode(self, text: str) -> int:
        value = int(text)
        if not self.low <= value <= self.high:
            raise ValueError(text)
        return value

    def samples(self) -> list[str]:
        return [str(self.low), str(self.high)]


@dataclasses.dataclass(frozen=True)
class OneOf(Codec):
    """A value of a fixed list (an enum, or plain strings); `none` stands for "no value"."""

    values: tuple[Any, ...]
    none: str | None = None

    def __init__(self, values: Iterable[Any], none: str | None = None) -> None:
        object.__setattr__(self, "values", tuple(values))
        object.__setattr__(self, "none", none)

    def _texts(self) -> list[str]:
        texts = [self.encode(value) for value in self.values]
        return [*texts, self.none] if self.none is not None else texts

    @property
    def regex(self) -> str:  # type: ignore[override]
        return "(?:" + "|".join(re.escape(text) for text in self._texts()) + ")"

    @property
    def longest(self) -> str:  # type: ignore[override]
        return max(self._texts(), key=lambda text: len(text.encode()))

    def encode(self, value: Any) -> str:
        if value is None and self.none is not None:
            return self.none
        return value.value if isinstance(value, Enum) else str(value)

    def decode(self, text: str) -> Any:
        if text == self.none:
            return None
        for value in self.values:
            if self.encode(value) == text:
                return value
        raise ValueError(text)

    def samples(self) -> list[str]:
        return self._texts()


@dataclasses.dataclass(frozen=True)
class Matching(Codec):
    """A text of a given shape (a token), checked again by the flow that reads it."""

    regex: str
    longest: str

    def decode(self, text: str) -> str:
        if not re.fullmatch(self.regex, text):
            raise ValueError(text)
        return text


@dataclasses.dataclass(frozen=True)
class Dated(Codec):
    """A calendar day or month, written with `fmt` (`%Y-%m-%d`, `%Y-%m`), within bounds."""

    fmt: str
    low: date = date(2000, 1, 1)
    high: date = date(2199, 12, 31)

    @property
    def regex(self) -> str:  # type: ignore[override]
        return (
            self.fmt.replace("%Y", "[0-9]{4}").replace("%m", "[0-9]{2}").replace("%d", "[0-9]{2}")
        )

    @property
    def longest(self) -> str:  # type: ignore[override]
        return self.high.strftime(self.fmt)

    def encode(self, value: Any) -> str:
        return value.strftime(self.fmt)

    def decode(self, text: str) -> date:
        day = datetime.strptime(text, self.fmt).date()  # noqa: DTZ007 - a calendar day
        if not self.low <= day <= self.high:
            raise ValueError(text)
        return day

    def samples(self) -> list[str]:
        return [self.low.strftime(self.fmt), self.high.strftime(self.fmt)]


# The fields most buttons carry. An id has at most 18 digits, so any value fits the
# databases' 64-bit integers (2**63 - 1 has 19).
Id = Annotated[int, Integer(1, 10**18 - 1)]
Index = Annotated[int, Integer(0, 99)]  # a position in a fixed list shown with the button


class Button:
    """Base of every button declaration (see the module's docstring)."""

    shape: ClassVar[str]
    roles: ClassVar[frozenset[Role]]
    in_groups: ClassVar[bool]  # tapped in a group chat, it is acted on (answers go private)
    for_strangers: ClassVar[bool]  # tapped by someone not (yet) a member
    pattern: ClassVar[re.Pattern[str]]
    _codecs: ClassVar[dict[str, Codec]]
    _declared: ClassVar[list[type["Button"]]] = []

    def __init_subclass__(
        cls,
        *,
        shape: str,
        roles: frozenset[Role],
        in_groups: bool = False,
        for_strangers: bool = False,
    ) -> None:
        super().__init_subclass__()
        dataclasses.dataclass(frozen=True)(cls)
        hints = typing.get_type_hints(cls, include_extras=True)
        cls._codecs = {name: _codec_of(cls, name, hints[name]) for name in _FIELD.findall(shape)}
        if set(cls._codecs) != {field.name for field in dataclasses.fields(cls)}:
            raise TypeError(f"{cls.__name__}: the shape names every field, once")
        cls.shape, cls.roles = shape, frozenset(roles)
        cls.in_groups, cls.for_strangers = in_groups, for_strangers
        # Anchored at both ends: PTB matches a handler's pattern from the start only.
        cls.pattern = re.compile(_regex(shape, cls._codecs) + r"\Z")
        if len(cls.longest_data().encode()) > DATA_LIMIT:
            raise TypeError(f"{cls.__name__}: its data can exceed {DATA_LIMIT} bytes")
        Button._declared.append(cls)

    def pack(self) -> str:
        """The callback data; a value off its field's bounds is a bug, raised here rather
        than sent as a button the gate would refuse."""
        values = {name: codec.encode(getattr(self, name)) for name, codec in self._codecs.items()}
        data = self.shape.format(**values)
        if self.parse(data) != self:
            raise ValueError(f"{type(self).__name__}: {values} is not a valid button")
        return data

    def button(self, label: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=self.pack())

    @classmethod
    def parse(cls, data: str | None) -> Self | None:
        """The button this data names, its fields decoded; None if it is not one."""
        match = cls.pattern.match(data or "")
        if match is None:
            return None
        try:
            fields = {name: codec.decode(match[name]) for name, codec in cls._codecs.items()}
        except ValueError:
            return None
        return cls(**fields)

    @classmethod
    def where(cls, test: Callable[[Self], bool]) -> Callable[[object], bool]:
        """A handler's pattern: this button, when `test` holds for its fields."""

        def matches(data: object) -> bool:
            parsed = cls.parse(data if isinstance(data, str) else None)
            return parsed is not None and test(parsed)

        return matches

    @classmethod
    def read(cls, update: Update) -> Self:
        """The button of an update its handler's pattern already matched."""
        parsed = cls.parse(update.callback_query.data if update.callback_query else None)
        if parsed is None:
            raise ValueError(f"not a {cls.__name__} button")
        return parsed

    @classmethod
    def fields(cls) -> dict[str, Codec]:
        """Each field of the shape, and how it is written (for the tests that try them all)."""
        return dict(cls._codecs)

    @classmethod
    def longest_data(cls) -> str:
        return cls.shape.format(**{name: codec.longest for name, codec in cls._codecs.items()})

    @classmethod
    def samples(cls) -> Iterator[str]:
        """Valid data of this button, each field's every sample in turn (the others longest)."""
        longest = {name: codec.longest for name, codec in cls._codecs.items()}
        yield cls.shape.format(**longest)
        for name, codec in cls._codecs.items():
            for sample in codec.samples():
                yield cls.shape.format(**(longest | {name: sample}))


def declared() -> Sequence[type[Button]]:
    """Every button of Relais, in the order they were declared."""
    return tuple(Button._declared)


def find(data: str | None) -> Button | None:
    """The declared button this data is, parsed; None for anything else."""
    for declaration in Button._declared:
        parsed = declaration.parse(data)
        if parsed is not None:
            return parsed
    return None


def _codec_of(cls: type, name: str, hint: Any) -> Codec:
    codecs = [extra for extra in getattr(hint, "__metadata__", ()) if isinstance(extra, Codec)]
    if len(codecs) != 1:
        raise TypeError(f"{cls.__name__}.{name}: annotate it with one Codec (Annotated[...])")
    return codecs[0]


def _regex(shape: str, codecs: dict[str, Codec]) -> str:
    parts, end = [], 0
    for field in _FIELD.finditer(shape):
        parts.append(re.escape(shape[end : field.start()]))
        parts.append(f"(?P<{field[1]}>{codecs[field[1]].regex})")
        end = field.end()
    parts.append(re.escape(shape[end:]))
    return "".join(parts)
