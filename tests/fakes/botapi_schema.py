"""Checks Bot API requests against the published schema (/work/shared/telegram).

A request is checked as Telegram would take it: the method exists, required parameters
are there, no parameter is unknown, each value has its type (form fields arrive as
strings; JSON-serialized objects are decoded and checked field by field), strings keep
their lengths (captions and texts measured after HTML parsing, in UTF-16 units, as
Telegram counts), callback data fits 64 bytes, and HTML parses with Telegram's tags.
Stricter than Telegram in one way: markup sent without ``parse_mode=HTML`` is refused,
since a user would see the tags.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path("/work/shared/telegram/bot-api-schema.json")
# Fields aiogram may send that the 8.1 schema does not know. Reviewed: none is needed yet;
# add "method": {"field"} here with a reason when a newer aiogram starts sending one.
ALLOWED_EXTRA: Mapping[str, frozenset[str]] = {}
_TELEGRAM_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    ]
)
_VISIBLE_LIMITED = frozenset({"text", "caption"})
_OUR_TAGS = re.compile(r"</?(b|i|u|s|a|code|pre)( [^<>]*)?>")
_BARE_LT = re.compile(r"<(?!/?[a-zA-Z][a-zA-Z-]*(\s[^<>]*)?>)")


class _TelegramHtml(HTMLParser):
    """Telegram's HTML: its tags only, properly nested; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TELEGRAM_TAGS:
            self.problems.append(f"unsupported start tag {tag!r}")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"unexpected end tag {tag!r}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def visible_html(text: str) -> tuple[str, list[str]]:
    """The text a reader sees, and what is wrong with the markup."""
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    problems = list(parser.problems)
    if parser.stack:
        problems.append(f"unclosed tags {parser.stack}")
    # an unescaped "<" is what Telegram rejects most often; Python's parser lets it pass
    if _BARE_LT.search(text):
        problems.append("a bare '<' in the text")
    return "".join(parser.visible), problems


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BotApiSchema:
    def __init__(self, path: Path = SCHEMA_PATH) -> None:
        data = _load(path)
        self.version: str = data["version"]
        self.methods = {m["name"]: m for m in data["methods"]}
        self.objects = {o["name"]: o for o in data["objects"]}

    def check(self, method: str, params: Mapping[str, Any], files: Collection[str]) -> list[str]:
        """Everything wrong with one request; empty when Telegram would take it."""
        spec = self.methods.get(method)
        if spec is None:
            return [f"{method}: no such method in Bot API {self.version}"]
        arguments = {a["name"]: a for a in spec["arguments"]}
        problems = [
            f"{method}: unknown parameter {name!r}"
            for name in params
            if name not in arguments
            and name not in ALLOWED_EXTRA.get(method, ())
            and name not in files
        ]
        problems += [
            f"{method}: required parameter {name!r} missing"
            for name, arg in arguments.items()
            if arg["required"] and name not in params
        ]
        html_mode = str(params.get("parse_mode", "")).upper() == "HTML"
        for name, value in params.items():
            if name in arguments:
                where = f"{method}.{name}"
                problems += self._value(
                    where, arguments[name]["type_info"], value, files, top=True
                )
                if name in _VISIBLE_LIMITED and isinstance(value, str):
                    problems += self._text(where, value, arguments[name]["type_info"], html_mode)
        return problems

    def decode(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Form fields as values: integers, booleans and JSON objects decoded by the schema."""
        spec = self.methods.get(method, {"arguments": []})
        types = {a["name"]: a["type_info"] for a in spec["arguments"]}
        return {
            name: _decode(types[name], value) if name in types else value
            for name, value in params.items()
        }

    def _text(self, where: str, value: str, info: Mapping[str, Any], html_mode: bool) -> list[str]:
        visible, problems = visible_html(value) if html_mode else (value, [])
        problems = [f"{where}: can't parse entities: {p}" for p in problems]
        if not html_mode and _OUR_TAGS.search(value):
            # Telegram would show the tags as text; stricter than Telegram, on purpose
            problems.append(f"{where}: HTML markup sent without parse_mode=HTML")
        limit = info.get("max_len")
        if limit is not None and utf16_length(visible) > limit:
            problems.append(f"{where}: {utf16_length(visible)} visible characters > {limit}")
        return problems

    def _value(
        self,
        where: str,
        info: Mapping[str, Any],
        value: Any,
        files: Collection[str],
        top: bool = False,
    ) -> list[str]:
        kind = info["type"]
        if isinstance(value, str) and value.startswith("attach://"):
            return self._file(where, value, files)  # whatever else the field takes
        if top and isinstance(value, str) and kind in ("array", "reference"):
            value, early = self._form_field(where, info, value, files)
            if early is not None:
                return early
        if kind == "any_of":
            results = [self._value(where, option, value, files, top) for option in info["any_of"]]
            return [] if any(not r for r in results) else min(results, key=len)
        if kind in _SCALARS:
            return _SCALARS[kind](where, info, value)
        if kind == "array":
            return self._array(where, info["array"], value, files)
        return self._object(where, info["reference"], value, files)

    def _form_field(
        self, where: str, info: Mapping[str, Any], value: str, files: Collection[str]
    ) -> tuple[Any, list[str] | None]:
        """A form field holds a file reference or JSON; the problems end the check early."""
        if info["type"] == "reference" and info["reference"] == "InputFile":
            return value, self._file(where, value, files)
        try:
            return json.loads(value), None
        except ValueError:
            return value, [f"{where}: not JSON: {value[:60]!r}"]

    def _array(
        self, where: str, item: Mapping[str, Any], value: Any, files: Collection[str]
    ) -> list[str]:
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not an array"]
        return [
            p
            for i, each in enumerate(value)
            for p in self._value(f"{where}[{i}]", item, each, files)
        ]

    def _object(self, where: str, name: str, value: Any, files: Collection[str]) -> list[str]:
        spec = self.objects[name]
        if name == "InputFile":
            return self._file(where, value, files) if isinstance(value, str) else []
        if spec["type"] == "any_of":
            return self._value(where, {"type": "any_of", "any_of": spec["any_of"]}, value, files)
        if spec["type"] != "properties":
            return []
        if not isinstance(value, dict):
            return [f"{where}: {name} must be an object, not {value!r}"]
        fields = {p["name"]: p for p in spec["properties"]}
        problems = [f"{where}: {name} has no field {key!r}" for key in value if key not in fields]
        for key, prop in fields.items():
            if key not in value:
                if prop["required"]:
                    problems.append(f"{where}: {name}.{key} missing")
                continue
            info = prop["type_info"]
            if key == "type" and "default" in info and value[key] != info["default"]:
                problems.append(f"{where}: {name}.type must be {info['default']!r}")
            problems += self._value(f"{where}.{key}", info, value[key], files)
            if key in _VISIBLE_LIMITED and isinstance(value[key], str):
                html_mode = str(value.get("parse_mode", "")).upper() == "HTML"
                problems += self._text(f"{where}.{key}", value[key], info, html_mode)
        if name == "InlineKeyboardButton" and "callback_data" in value:
            size = len(str(value["callback_data"]).encode())
            if not 1 <= size <= 64:
                problems.append(f"{where}.callback_data: {size} bytes, must be 1-64")
        return problems

    @staticmethod
    def _file(where: str, value: str, files: Collection[str]) -> list[str]:
        if value.startswith("attach://") and value.removeprefix("attach://") not in files:
            return [f"{where}: {value} names no uploaded file"]
        return []


@cache
def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _integer(where: str, info: Mapping[str, Any], value: Any) -> list[str]:
    try:
        number = int(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or (isinstance(value, float) and not value.is_integer()):
        return [f"{where}: {value!r} is not an integer"]
    low, high = info.get("min"), info.get("max")
    if (low is not None and number < low) or (high is not None and number > high):
        return [f"{where}: {number} outside {low}..{high}"]
    return []


def _string(where: str, info: Mapping[str, Any], value: Any) -> list[str]:
    if not isinstance(value, str):
        return [f"{where}: {value!r} is not a string"]
    enum = info.get("enumeration") or []
    if enum and value not in enum:
        return [f"{where}: {value!r} is not one of {enum}"]
    low, high = info.get("min_len"), info.get("max_len")
    if (
        high is not None
        and utf16_length(value) > high
        and where.rsplit(".", 1)[-1] not in _VISIBLE_LIMITED
    ):
        return [f"{where}: longer than {high}"]
    if low is not None and utf16_length(value) < low:
        return [f"{where}: shorter than {low}"]
    return []


def _float(where: str, info: Mapping[str, Any], value: Any) -> list[str]:
    try:
        float(value)
    except (TypeError, ValueError):
        return [f"{where}: {value!r} is not a number"]
    return [f"{where}: {value!r} is not a number"] if isinstance(value, bool) else []


def _bool(where: str, info: Mapping[str, Any], value: Any) -> list[str]:
    ok = isinstance(value, bool) or value in ("true", "false", "True", "False")
    return [] if ok else [f"{where}: {value!r} is not a boolean"]


_SCALARS: Mapping[str, Callable[[str, Mapping[str, Any], Any], list[str]]] = {
    "integer": _integer,
    "float": _float,
    "bool": _bool,
    "string": _string,
}


def _decode(info: Mapping[str, Any], value: Any) -> Any:
    if not isinstance(value, str):
        return value
    kind = info["type"]
    if kind == "integer" or (kind == "any_of" and value.lstrip("-").isdigit()):
        return int(value) if value.lstrip("-").isdigit() else value
    if kind == "bool":
        return value.lower() == "true"
    if kind in ("array", "reference", "any_of") and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value
