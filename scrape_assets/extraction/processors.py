"""Run a field's value processors (declared in YAML, checked in `target_config/processors.py`) over
the texts its selector matched. Values stay text (validation types them); a list field's value is a
list of texts. A processor that cannot read its input raises `ProcessorFailed`: extraction keeps the
raw text and validation quarantines the record with the reason.

The typed parsers use well-kept libraries: price-parser for prices, dateparser for dates in words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from scrape_assets.target_config.models import FieldSpec, bool_words
from scrape_assets.target_config.processors import ProcessorSpec

Value = str | list[str] | None


class ProcessorFailed(ValueError):
    """A processor could not read a value: names the processor and the text it got."""

    def __init__(self, processor: str, text: str, why: str = "could not read"):
        self.processor, self.text = processor, text
        super().__init__(f"{processor} processor {why} {text!r}")


def fold_whitespace(text: str) -> str:
    """Runs of white space (non-breaking included) become one space; ends stripped."""
    return " ".join(text.split())


def _regex(arg: str) -> Callable[[str], str | None]:
    pattern = re.compile(arg)

    def apply(text: str) -> str | None:
        found = pattern.search(text)
        return None if found is None else found.group(1 if pattern.groups else 0)

    return apply


def _replace(arg: dict) -> Callable[[str], str]:
    def apply(text: str) -> str:
        for old, new in arg.items():
            text = text.replace(str(old), str(new))
        return text

    return apply


def _map(arg: dict) -> Callable[[str], str]:
    table = {str(key): str(value) for key, value in arg.items()}

    def apply(text: str) -> str:
        if text not in table:
            raise ProcessorFailed("map", text, f"has no entry (of {', '.join(table)}) for")
        return table[text]

    return apply


def _price(arg: Any) -> Callable[[str], str]:
    from price_parser import Price

    part = arg.get("part", "amount") if isinstance(arg, dict) else (arg or "amount")
    separator = arg.get("decimal_separator") if isinstance(arg, dict) else None

    def apply(text: str) -> str:
        price = Price.fromstring(text, decimal_separator=separator)
        found = price.amount if part == "amount" else price.currency
        if found is None:
            raise ProcessorFailed("price", text, f"found no {part} in")
        return str(found)

    return apply


def _date(arg: dict | None) -> Callable[[str], str]:
    arg = arg or {}
    if "format" in arg:

        def strict(text: str) -> str:
            try:
                return datetime.strptime(text, arg["format"]).date().isoformat()
            except ValueError:
                raise ProcessorFailed("date", text, f"(format {arg['format']!r}) could not read") from None

        return strict
    import dateparser

    settings = {"DATE_ORDER": "DMY"} if arg.get("day_first") else {}

    def parsed(text: str) -> str:
        found = dateparser.parse(text, languages=arg.get("languages"), settings=settings)
        if found is None:
            raise ProcessorFailed("date", text)
        return found.date().isoformat()

    return parsed


def _number(arg: dict | None) -> Callable[[str], str]:
    decimal, thousands = (arg or {}).get("decimal", "."), (arg or {}).get("thousands", ",")

    def apply(text: str) -> str:
        plain = "".join(text.split()).replace(thousands, "").replace(decimal, ".")
        try:
            number = float(plain)
        except ValueError:
            raise ProcessorFailed("number", text) from None
        return str(int(number)) if number.is_integer() and "." not in plain else plain

    return apply


def _bool(arg: dict | None) -> Callable[[str], str]:
    words = bool_words((arg or {}).get("true", []), (arg or {}).get("false", []))

    def apply(text: str) -> str:
        if text.strip().lower() not in words:
            raise ProcessorFailed("bool", text, "knows no true or false word like")
        return "true" if words[text.strip().lower()] else "false"

    return apply


# processors applied to each text (each element of a list)
_ON_TEXT: dict[str, Callable[[Any], Callable[[str], str | None]]] = {
    "fold_whitespace": lambda _arg: fold_whitespace,
    "regex": _regex,
    "replace": _replace,
    "strip": lambda arg: lambda text: text.strip(None if arg in (None, True) else arg),
    "remove_prefix": lambda arg: lambda text: text.removeprefix(arg),
    "remove_suffix": lambda arg: lambda text: text.removesuffix(arg),
    "map": _map,
    "price": _price,
    "date": _date,
    "number": _number,
    "bool": _bool,
}


_COMPILED: dict[int, tuple[ProcessorSpec, Callable[[str], str | None]]] = {}


def _text_step(step: ProcessorSpec) -> Callable[[str], str | None]:
    """The step's function, built once per spec (its arguments may be unhashable mappings)."""
    found = _COMPILED.get(id(step))
    if found is None or found[0] is not step:
        found = _COMPILED[id(step)] = (step, _ON_TEXT[step.name](step.arg))
    return found[1]


def _empty(value: Value) -> bool:
    return value is None or value == "" or value == []


def _apply(step: ProcessorSpec, value: Value) -> Value:
    if step.name == "default":
        return str(step.arg) if _empty(value) else value
    if _empty(value):
        return None
    if step.name == "split":
        return [part.strip() for part in value.split(step.arg) if part.strip()]  # type: ignore[union-attr]
    if step.name == "join":
        return step.arg.join(value)
    apply = _text_step(step)
    if isinstance(value, list):
        results = [apply(text) for text in value]
        return [text for text in results if text not in (None, "")]
    return apply(value) if isinstance(value, str) else None


def field_value(spec: FieldSpec, matches: list[str]) -> Value:
    """The field's value from the texts its selector matched: whitespace folded (unless turned off),
    joined by a space (or kept as a list with `multiple`), then its processors in order. Raises
    `ProcessorFailed`."""
    texts = [fold_whitespace(t) if spec.fold_whitespace else t for t in matches if t is not None]
    texts = [t for t in texts if t != ""]
    value: Value = texts if spec.multiple else (" ".join(texts) if texts else None)
    for step in spec.processors:
        value = _apply(step, value)
    return None if _empty(value) else value


def raw_value(spec: FieldSpec, matches: list[str]) -> Value:
    """What the selector matched, before any processor: kept on a record whose processing failed."""
    texts = [fold_whitespace(t) for t in matches if t is not None and t.strip()]
    return (texts if spec.is_list else " ".join(texts)) or None
