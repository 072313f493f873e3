"""Value processors of a field, as the target YAML declares them: `processors: [...]`, applied in order
after selection. Each entry is a name (`price`) or a one-key mapping (`{regex: "(\\d+)"}`); the
argument is checked here, when the YAML loads. What each one does is in `extraction/processors.py`.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

# name -> what it does (README's reference table says the same)
PROCESSORS: dict[str, str] = {
    "fold_whitespace": "runs of white space become one space, ends stripped (on by default)",
    "regex": "the first capture group (or the whole match) of a pattern; no match: no value",
    "replace": "replace each key of a mapping by its value: {replace: {'\\u00a0': ' '}}",
    "strip": "strip these characters from both ends (true: white space)",
    "remove_prefix": "remove this prefix when present",
    "remove_suffix": "remove this suffix when present",
    "map": "look the value up in a mapping ({One: 1, Two: 2}); a value not in it fails",
    "split": "split into a list on this separator (elements stripped, empty ones dropped)",
    "join": "join a list into one value with this separator",
    "default": "the value to use when there is none",
    "price": "amount (default) or currency from text like '£51.77' or '1.299,00 €' (price-parser)",
    "date": "a date from text: {format: '%d/%m/%Y'} or language-aware ({languages: [en]}) (dateparser)",
    "number": "a number with the given separators: {decimal: ',', thousands: '.'}",
    "bool": "true or false by words: {true: [In stock], false: [Sold out]} beside true/yes/1/on",
}
LIST_MAKERS = ("split",)
LIST_TAKERS = ("join",)
PRICE_PARTS = ("amount", "currency")


class ProcessorSpec(BaseModel):
    """One step of a field's processing: its name and argument."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    arg: Any = None

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        """The forms a YAML file writes (`- strip`, `- {map: {...}}`, `- {name: ..., arg: ...}`), for the
        published JSON Schema that editors and `dg check` validate a target against."""
        names = list(PROCESSORS)
        return {
            "description": cls.__doc__,
            "anyOf": [
                {"type": "string", "enum": names},
                {"type": "object", "minProperties": 1, "maxProperties": 1, "propertyNames": {"enum": names}},
                {
                    "type": "object",
                    "properties": {"name": {"type": "string", "enum": names}, "arg": {}},
                    "required": ["name"],
                    "additionalProperties": False,
                },
            ],
        }

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"name": value}
        if isinstance(value, dict) and len(value) == 1 and "name" not in value:
            ((name, arg),) = value.items()
            return {"name": name, "arg": arg}
        if isinstance(value, dict) and "name" in value:
            return value
        raise ValueError(f"a processor is a name or a one-key mapping, got {value!r}")

    @model_validator(mode="after")
    def _argument_fits(self) -> ProcessorSpec:
        if self.name not in PROCESSORS:
            raise ValueError(f"unknown processor {self.name!r}; known: {', '.join(PROCESSORS)}")
        check = _ARGUMENT_CHECKS.get(self.name)
        if check is not None:
            problem = check(self.arg)
            if problem:
                raise ValueError(f"processor {self.name!r}: {problem}")
        return self


def _text(arg: Any) -> str | None:
    return None if isinstance(arg, str) and arg != "" else "give a non-empty text"


def _regex(arg: Any) -> str | None:
    if not isinstance(arg, str):
        return "give a regular expression"
    try:
        pattern = re.compile(arg)
    except re.error as exc:
        return f"pattern {arg!r} does not compile: {exc}"
    return None if pattern.groups <= 1 else f"pattern {arg!r} has {pattern.groups} groups; use at most one"


def _mapping(arg: Any) -> str | None:
    if not isinstance(arg, dict) or not arg:
        return "give a non-empty mapping"
    return None


def _strip(arg: Any) -> str | None:
    return None if arg is None or arg is True or (isinstance(arg, str) and arg) else "give characters or true"


def _price(arg: Any) -> str | None:
    part = arg.get("part", "amount") if isinstance(arg, dict) else (arg or "amount")
    extra = set(arg) - {"part", "decimal_separator"} if isinstance(arg, dict) else set()
    if part not in PRICE_PARTS or extra:
        return f"give amount or currency, or {{part, decimal_separator}}; got {arg!r}"
    return None


def _date(arg: Any) -> str | None:
    if arg is None:
        return None
    if not isinstance(arg, dict) or set(arg) - {"format", "languages", "day_first"}:
        return f"give {{format: '%d/%m/%Y'}} or {{languages: [en], day_first: false}}; got {arg!r}"
    if "format" in arg and not isinstance(arg["format"], str):
        return "format must be a strftime pattern"
    return None


def _number(arg: Any) -> str | None:
    if arg is None:
        return None
    if not isinstance(arg, dict) or set(arg) - {"decimal", "thousands"}:
        return f"give {{decimal: ',', thousands: '.'}}; got {arg!r}"
    if arg.get("decimal", ".") == arg.get("thousands", ","):
        return "decimal and thousands separators must differ"
    return None


def _bool(arg: Any) -> str | None:
    if arg is None:
        return None
    if not isinstance(arg, dict) or set(arg) - {"true", "false"}:
        return f"give {{true: [words], false: [words]}}; got {arg!r}"
    return None


def _any(arg: Any) -> str | None:
    return None if arg is not None else "give the value to use"


_ARGUMENT_CHECKS = {
    "regex": _regex,
    "replace": _mapping,
    "strip": _strip,
    "remove_prefix": _text,
    "remove_suffix": _text,
    "map": _mapping,
    "split": _text,
    "join": lambda arg: None if isinstance(arg, str) else "give a separator",
    "default": _any,
    "price": _price,
    "date": _date,
    "number": _number,
    "bool": _bool,
}


def ends_as_list(starts_as_list: bool, processors: list[ProcessorSpec]) -> bool:
    """Whether a field's value is a list after its processors; raises ValueError on a `split` of a
    list or a `join` of a single value."""
    is_list = starts_as_list
    for step in processors:
        if step.name in LIST_MAKERS:
            if is_list:
                raise ValueError(f"processor {step.name!r} needs a single value, but the value is a list here")
            is_list = True
        elif step.name in LIST_TAKERS:
            if not is_list:
                raise ValueError(f"processor {step.name!r} needs a list (multiple: true or a split before it)")
            is_list = False
    return is_list
