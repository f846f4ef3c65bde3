"""XLSForm ``relevant``/``constraint`` expressions to and from our JSON rules.

A small recursive-descent parser: XLSForm expressions are never evaluated.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

COMPARE = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}


# Excel "smart quotes" typed into a formula bar, and its non-breaking spaces
TYPOGRAPHY = str.maketrans({"‘": "'", "’": "'", "‚": "'", "‛": "'", "“": '"', "”": '"'})
TYPOGRAPHY |= str.maketrans({"„": '"', "\u00a0": " ", "\u2009": " ", "\u202f": " "})


class ExpressionError(ValueError):
    """An XLSForm expression outside the subset we read; ``offset`` is 0-based.

    ``reason`` is lazy: it reads in the language current when it is turned into text.
    """

    def __init__(self, message: str | LazyString, offset: int):
        self.reason = _l("%(problem)s (at character %(n)s)", problem=message, n=offset + 1)
        super().__init__(self.reason)
        self.offset = offset

    def __str__(self) -> str:
        return str(self.reason)


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{\s*(?P<name>[^}\s]*)\s*\})
    | (?P<num>-?\d+(?:\.\d+)?)
    | (?P<str>'[^']*'|"[^"]*")
    | (?P<op>!=|<=|>=|=|<|>|\(|\)|,)
    | (?P<word>[A-Za-z_][A-Za-z0-9_:-]*)
    | (?P<dot>\.)
    )""",
    re.VERBOSE,
)
SELF = "."  # the item a constraint belongs to


def tokenize(text: str) -> list[tuple[str, Any, int]]:
    """``(kind, value, offset)`` tokens, ending with ``("end", None, len(text))``."""
    tokens: list[tuple[str, Any, int]] = []
    pos = 0
    while text[pos:].strip():
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            at = len(text) - len(text[pos:].lstrip())
            raise ExpressionError(_l("unexpected %(char)s", char=repr(text[at])), at)
        kind = match.lastgroup if match.lastgroup != "name" else "ref"
        assert kind is not None
        start = match.start(kind)
        raw = match.group(kind)
        value: Any = raw
        if kind == "ref":
            value = match.group("name")
        elif kind == "num":
            value = float(raw) if "." in raw else int(raw)
        elif kind == "str":
            value = raw[1:-1]
        tokens.append((kind, value, start))
        pos = match.end()
    tokens.append(("end", None, len(text)))
    return tokens


def parse_expression(text: str, *, allow_self: bool = False) -> dict[str, Any]:
    """``${a} = 1 and not(selected(${b}, 'x'))`` → a JSON rule (values as written).

    Curly quotes count as straight ones: Excel puts them in when people type expressions.
    """
    return _Parser(tokenize(text.translate(TYPOGRAPHY)), allow_self).parse()


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any, int]], allow_self: bool):
        self.tokens, self.pos, self.allow_self = tokens, 0, allow_self

    def parse(self) -> dict[str, Any]:
        rule = self.disjunction()
        self.expect("end")
        return rule

    def peek(self) -> tuple[str, Any, int]:
        return self.tokens[self.pos]

    def take(self) -> tuple[str, Any, int]:
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def expect(self, kind: str, value: Any = None) -> tuple[str, Any, int]:
        token = self.take()
        if token[0] != kind or (value is not None and token[1] != value):
            wanted = repr(value) if value is not None else _l("the end") if kind == "end" else kind
            raise ExpressionError(
                _l("expected %(wanted)s, found %(found)s", wanted=wanted, found=_found(token)),
                token[2],
            )
        return token

    def is_word(self, word: str) -> bool:
        kind, value, _ = self.peek()
        return kind == "word" and value == word

    def disjunction(self) -> dict[str, Any]:
        parts = [self.conjunction()]
        while self.is_word("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else {"or": parts}

    def conjunction(self) -> dict[str, Any]:
        parts = [self.unary()]
        while self.is_word("and"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else {"and": parts}

    def unary(self) -> dict[str, Any]:
        kind, value, offset = self.peek()
        if kind == "op" and value == "(":
            self.take()
            inner = self.disjunction()
            self.expect("op", ")")
            return inner
        if kind == "word" and value in ("not", "selected"):
            self.take()
            self.expect("op", "(")
            if value == "not":
                rule: dict[str, Any] = {"not": self.disjunction()}
            else:
                item = self.reference()
                self.expect("op", ",")
                rule = {"eq": [item, self.literal()]}
            self.expect("op", ")")
            return rule
        if kind == "word" and self.tokens[self.pos + 1][1] == "(":
            raise ExpressionError(
                _l('the function "%(name)s()" is not supported', name=value), offset
            )
        return self.comparison()

    def comparison(self) -> dict[str, Any]:
        left_ref = self.peek()[0] in ("ref", "dot") or self.peek()[0] == "end"
        left = self.reference() if left_ref else self.literal()
        kind, symbol, offset = self.take()
        ops = {v: k for k, v in COMPARE.items()}
        if kind != "op" or symbol not in ops:
            found = _found((kind, symbol, offset))
            raise ExpressionError(
                _l("expected a comparison (= != < <= > >=), found %(found)s", found=found), offset
            )
        op = ops[symbol]
        if left_ref:
            item, value = left, self.literal()
        else:  # 1 < ${a} is ${a} > 1
            item, value = self.reference(), left
            op = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}.get(op, op)
        if value == "" and op in ("eq", "ne"):
            answered = {"answered": item}
            return answered if op == "ne" else {"not": answered}
        return {op: [item, value]}

    def reference(self) -> str:
        token = self.take()
        kind, value, offset = token
        if kind == "ref" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value):
            return str(value)
        if kind == "dot" and self.allow_self:
            return SELF
        raise ExpressionError(
            _l("expected a question reference like ${name}, found %(found)s", found=_found(token)),
            offset,
        )

    def literal(self) -> Any:
        token = self.take()
        kind, value, offset = token
        if kind in ("num", "str"):
            return value
        if kind == "word" and value in ("true", "false") and self.peek()[1] == "(":
            self.take()
            self.expect("op", ")")
            return value == "true"
        raise ExpressionError(
            _l("expected a number or a quoted value, found %(found)s", found=_found(token)), offset
        )


def _found(token: tuple[str, Any, int]) -> str | LazyString:
    return _l("the end") if token[0] == "end" else repr(str(token[1]))


def write_expression(rule: dict[str, Any], multi: set[str] | frozenset[str] = frozenset()) -> str:
    """A JSON rule as an XLSForm expression; ``multi`` items compare with ``selected()``."""
    ((op, arg),) = rule.items()
    if op in ("and", "or"):
        return f" {op} ".join(_operand(r, multi) for r in arg)
    if op == "not":
        return f"not({write_expression(arg, multi)})"
    if op == "answered":
        return f"${{{arg}}} != ''"
    if op == "in":
        return write_expression({"or": [{"eq": [arg[0], v]} for v in arg[1]]}, multi)
    item, value = arg
    if op == "eq" and item in multi:
        return f"selected(${{{item}}}, {literal(value)})"
    return f"${{{item}}} {COMPARE[op]} {literal(value)}"


def _operand(rule: dict[str, Any], multi: set[str] | frozenset[str]) -> str:
    text = write_expression(rule, multi)
    return f"({text})" if next(iter(rule)) in ("and", "or", "in") else text


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true()" if value else "false()"
    if isinstance(value, int | float):
        return repr(value)
    return f'"{value}"' if "'" in str(value) else f"'{value}'"
