"""The one place a user's query becomes a MongoDB query: PocketBase's filter grammar and sort
syntax, compiled against a model's field list (docs/datastore.md "Filters").

Nothing the user writes becomes an operator or a field name by itself: operators come from the
fixed table OPERATORS, field names from the model (a path into a `document` field is checked to
be identifiers), and every value is a typed Python value in the query. `~` is built with
re.escape inside atomic groups, so no input is a regular expression and no pattern backtracks
(nx-27017 runs `$regex` with Python's `re` inside the server: a backtracking pattern would stall
the whole database; docs/database.md).

Every operator this module emits is in EMITTED, and tests/test_datastore_filter.py runs each of
them against the database server to check their answers.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from kernel.errors import Refused

from . import fields as types
from .fields import FieldError

EMITTED = ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$regex", "$options", "$nor", "$and", "$or", "$in", "$elemMatch", "$size")
OPERATORS = ("?!~", "?!=", "?>=", "?<=", "?=", "?>", "?<", "?~", "!=", ">=", "<=", "!~", "=", ">", "<", "~")
FLIPPED = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
MONGO = {">": "$gt", ">=": "$gte", "<": "$lt", "<=": "$lte"}
OPPOSITE = {"=": "!=", "!=": "=", ">": "<=", ">=": "<", "<": ">=", "<=": ">", "~": "!~", "!~": "~"}  # exact for list elements: all of one type
TOKEN = re.compile(
    r"""(?P<space>\s+)|(?P<lparen>\()|(?P<rparen>\))|(?P<and>&&)|(?P<or>\|\|)
    |(?P<op>\?!~|\?!=|\?>=|\?<=|\?=|\?>|\?<|\?~|!=|>=|<=|!~|=|>|<|~)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    |(?P<param>\{:[A-Za-z_][A-Za-z0-9_]*\})
    |(?P<path>@?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)""",
    re.VERBOSE | re.DOTALL,
)
ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"'}
SORTABLE = ("string", "text", "email", "url", "number", "float", "bool", "date", "datetime", "select", "ref")
MACROS = ("@now", "@todayStart", "@todayEnd", "@monthStart", "@monthEnd", "@yearStart", "@yearEnd")
NO_VALUE = object()


def bad_filter(message: str, position: int | None = None) -> Refused:
    where = f" (at character {position + 1})" if position is not None else ""
    return Refused(400, f"filter: {message}{where}", code="invalid_filter", fields={"filter": f"{message}{where}"})


@dataclass
class Token:
    kind: str
    text: str
    position: int


@dataclass
class Compare:
    path: Token
    op: str
    value: object  # a Python value: str, int, float, bool, None, datetime
    value_token: Token


def tokenize(text: str, limits) -> list[Token]:
    if not isinstance(text, str):
        raise bad_filter("must be a string")
    if len(text) > limits.max_filter_length:
        raise bad_filter(f"longer than {limits.max_filter_length} characters (datastore.max_filter_length)")
    tokens, at = [], 0
    while at < len(text):
        match = TOKEN.match(text, at)
        if not match:
            snippet = text[at:at + 12]
            if text[at] in "\"'":
                raise bad_filter("a string is not closed", at)
            raise bad_filter(f"unexpected {snippet!r}", at)
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), at))
        at = match.end()
    return tokens


class Parser:
    """Recursive descent over the tokens: or -> and -> (group | comparison); a tree of
    ("or", [..]) / ("and", [..]) / Compare."""

    def __init__(self, tokens: list[Token], limits, params: dict | None) -> None:
        self.tokens, self.limits, self.params = tokens, limits, params or {}
        self.at, self.terms = 0, 0

    def peek(self) -> Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            end = self.tokens[-1].position + len(self.tokens[-1].text) if self.tokens else 0
            raise bad_filter("ends too early", end)
        self.at += 1
        return token

    def parse(self):
        if not self.tokens:
            return None
        tree = self.expression(0)
        if self.peek() is not None:
            token = self.peek()
            raise bad_filter(f"unexpected {token.text!r}; join conditions with && or ||", token.position)
        return tree

    def expression(self, depth: int):
        parts = [self.conjunction(depth)]
        while self.peek() is not None and self.peek().kind == "or":
            self.take()
            parts.append(self.conjunction(depth))
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self, depth: int):
        parts = [self.unit(depth)]
        while self.peek() is not None and self.peek().kind == "and":
            self.take()
            parts.append(self.unit(depth))
        return parts[0] if len(parts) == 1 else ("and", parts)

    def unit(self, depth: int):
        token = self.peek()
        if token is not None and token.kind == "lparen":
            if depth + 1 > self.limits.max_filter_depth:
                raise bad_filter(f"nested deeper than {self.limits.max_filter_depth} (datastore.max_filter_depth)", token.position)
            self.take()
            tree = self.expression(depth + 1)
            closing = self.take()
            if closing.kind != "rparen":
                raise bad_filter(f"expected ) but found {closing.text!r}", closing.position)
            return tree
        return self.comparison()

    def comparison(self) -> Compare:
        left, op, right = self.take(), self.take(), self.take()
        if op.kind != "op":
            raise bad_filter(f"expected an operator ({' '.join(OPERATORS)}) but found {op.text!r}", op.position)
        self.terms += 1
        if self.terms > self.limits.max_filter_terms:
            raise bad_filter(f"more than {self.limits.max_filter_terms} conditions (datastore.max_filter_terms)", left.position)
        left_is_field, right_is_field = self.is_field(left), self.is_field(right)
        if left_is_field and right_is_field:
            raise bad_filter("compare a field with a value; comparing two fields is not supported", right.position)
        if not left_is_field and not right_is_field:
            raise bad_filter("one side of a comparison must be a field", left.position)
        operator = op.text
        if right_is_field:  # `5 < count` reads as `count > 5`
            left, right = right, left
            operator = operator[0] + FLIPPED.get(operator[1:], operator[1:]) if operator.startswith("?") else FLIPPED.get(operator, operator)
        return Compare(left, operator, self.value(right), right)

    @staticmethod
    def is_field(token: Token) -> bool:
        return token.kind == "path" and token.text not in ("true", "false", "null") and not token.text.startswith("@")

    def value(self, token: Token):
        if token.kind == "string":
            return unescape(token.text[1:-1])
        if token.kind == "number":
            number = float(token.text)
            if not math.isfinite(number):
                raise bad_filter("the number is out of range", token.position)
            is_integer = re.fullmatch(r"[-+]?\d+", token.text) is not None
            return int(token.text) if is_integer and abs(int(token.text)) < 2**63 else number
        if token.kind == "param":
            name = token.text[2:-1]
            if name not in self.params:
                raise bad_filter(f"no value was given for {{:{name}}}", token.position)
            value = self.params[name]
            if isinstance(value, float) and not math.isfinite(value):
                raise bad_filter(f"{{:{name}}} is not a finite number", token.position)
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise bad_filter(f"{{:{name}}} must be a string, number, boolean or null", token.position)
            return value
        if token.kind == "path":
            if token.text in ("true", "false"):
                return token.text == "true"
            if token.text == "null":
                return None
            if token.text in MACROS:
                return macro(token.text)
            if token.text.startswith("@"):
                raise bad_filter(f"unknown macro {token.text} (known: {' '.join(MACROS)})", token.position)
        raise bad_filter(f"expected a value but found {token.text!r}", token.position)


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda match: ESCAPES.get(match.group(1), "\\" + match.group(1)), text, flags=re.DOTALL)


def macro(name: str, at: datetime | None = None) -> datetime:
    """The date macros, in UTC, to the millisecond (what BSON keeps)."""
    current = at or datetime.now(timezone.utc)
    current = current.replace(microsecond=current.microsecond // 1000 * 1000)
    day = datetime.combine(current.date(), time(), timezone.utc)
    last = timedelta(milliseconds=1)
    month_days = calendar.monthrange(current.year, current.month)[1]
    return {
        "@now": current,
        "@todayStart": day,
        "@todayEnd": day + timedelta(days=1) - last,
        "@monthStart": day.replace(day=1),
        "@monthEnd": day.replace(day=month_days) + timedelta(days=1) - last,
        "@yearStart": day.replace(month=1, day=1),
        "@yearEnd": day.replace(year=current.year + 1, month=1, day=1) - last,
    }[name]


def contains(value: str, position: int, limits, negate: bool = False) -> dict:
    """`~` as PocketBase has it (LIKE): with no `%` the value is found anywhere; with `%` it is a
    pattern where `%` is any run of characters. Case-insensitive. Each literal piece passes
    re.escape, and each `.*?` sits in an atomic group, so matching is linear: the earliest place
    of each piece is the right one, nothing is retried."""
    pieces = value.split("%")
    if len(pieces) - 1 > limits.max_contains_wildcards:
        raise bad_filter(f"more than {limits.max_contains_wildcards} % in one ~ value (datastore.max_contains_wildcards)", position)
    if len(pieces) == 1:
        body = "(?>.*?" + re.escape(value) + ")"
    else:
        parts = []
        for index, piece in enumerate(pieces):
            if index == 0:
                parts.append(re.escape(piece))  # anchored: no % before it
            elif index == len(pieces) - 1:
                # Not atomic: the last piece must end the text, so its first place may not be it.
                parts.append(".*?" + re.escape(piece) + "(?!.)" if piece else "")
            elif piece:
                parts.append("(?>.*?" + re.escape(piece) + ")")
        body = "".join(parts)
    pattern = "^(?!" + body + ")" if negate else "^" + body
    return {"$regex": pattern, "$options": "is"}


class Compiler:
    """Compiles a parsed filter for one model. `models` maps slugs to model definitions (for
    paths through ref fields); `lookup(model, query)` answers the ids of that model's records
    matching `query` (at most `limits.max_ref_matches`, else it refuses)."""

    def __init__(self, model: dict, models: dict, limits, lookup, hops: int = 2) -> None:
        self.model, self.models, self.limits, self.lookup, self.hops = model, models, limits, lookup, hops
        self.by_key = {field["key"]: field for field in model["fields"]}

    async def compile(self, tree) -> dict:
        if tree is None:
            return {}
        if isinstance(tree, tuple):
            kind, parts = tree
            return {"$or" if kind == "or" else "$and": [await self.compile(part) for part in parts]}
        return await self.comparison(tree)

    async def comparison(self, node: Compare) -> dict:
        path = node.path.text
        head, _, rest = path.partition(".")
        if head in ("id", "created", "updated") and not rest:
            kind = {"id": "string", "created": "datetime", "updated": "datetime"}[head]
            return self.condition("_id" if head == "id" else head, {"type": kind, "key": head}, node)
        field = self.by_key.get(head)
        if field is None:
            raise bad_filter(f"{head!r} is not a field of {self.model['slug']}", node.path.position)
        if not rest:
            return self.condition(head, field, node)
        if field["type"] in ("document", "json"):
            if any(not re.fullmatch(r"[A-Za-z0-9_]+", part) for part in rest.split(".")):
                raise bad_filter("a path into a document is made of letters, digits and _", node.path.position)
            return self.condition(path, {"type": "any", "key": path}, node)
        if field["type"] == "ref":
            return await self.through(field, rest, node)
        raise bad_filter(f"{head} is a {field['type']} field: it has no {rest!r} inside", node.path.position)

    async def through(self, field: dict, rest: str, node: Compare) -> dict:
        """`author.name = "x"`: the referred records matching `name = "x"`, then `author` among them."""
        if self.hops <= 0:
            raise bad_filter("a path goes through at most 2 ref fields", node.path.position)
        target = self.models.get(field["options"]["model"])
        if target is None:
            raise bad_filter(f"{field['key']} refers to a model that no longer exists", node.path.position)
        is_multi = types.multi(field)
        if is_multi and not node.op.startswith("?"):
            raise bad_filter(f"{field['key']} holds several records: use the any-of form ?{node.op}", node.path.position)
        inner = Compiler(target, self.models, self.limits, self.lookup, self.hops - 1)
        sub = Compare(Token("path", rest, node.path.position), node.op, node.value, node.value_token)
        ids = await self.lookup(target, await inner.comparison(sub))
        return {field["key"]: {"$in": ids}}

    def condition(self, name: str, field: dict, node: Compare) -> dict:
        op, position = node.op, node.value_token.position
        value = self.typed(field, node.value, node)
        if types.multi(field):
            if op in ("=", "!=") and value is None:
                empty = {name: {"$size": 0}}
                return empty if op == "=" else {"$nor": [empty]}
            if value is None:
                raise bad_filter("null is compared with = or != only", position)
            if op.startswith("?"):
                return {name: {"$elemMatch": self.test(op[1:], value, position, field)}}
            # PocketBase's plain operator on a list: every element matches (and there is one).
            # No $not on nx-27017: "no element fails" is $nor of $elemMatch of the opposite test.
            return {"$and": [{name: {"$elemMatch": self.test(op, value, position, field)}},
                             {"$nor": [{name: {"$elemMatch": self.test(OPPOSITE[op], value, position, field)}}]}]}
        bare = op.lstrip("?")
        if bare == "=":
            return {name: value}
        if bare == "!=":
            return {name: {"$ne": value}}
        if value is None:
            raise bad_filter("null is compared with = or != only", position)
        if bare == "!~":
            return {"$nor": [{name: self.test("~", value, position, field)}]}
        return {name: self.test(bare, value, position, field)}

    def test(self, op: str, value, position: int, field: dict) -> dict:
        """The operator document of one comparison (for a field, or an element of a list)."""
        if op in ("~", "!~"):
            if field["type"] not in (*types.TEXTUAL, "select", "ref", "file", "any") or not isinstance(value, str):
                raise bad_filter(f"~ finds text: {field['key']} ~ takes a string on a text field", position)
            return contains(value, position, self.limits, negate=op == "!~")
        if op == "=":
            return {"$eq": value}
        if op == "!=":
            return {"$ne": value}
        return {MONGO[op]: value}

    def typed(self, field: dict, value, node: Compare):
        """The filter's value in the form the field stores, or a 400 naming the mismatch."""
        kind, position = field["type"], node.value_token.position
        if value is None or kind == "any":
            return value
        if isinstance(value, datetime) and kind not in ("date", "datetime", "document", "json"):
            raise bad_filter(f"{field['key']} is a {kind} field: a date macro does not fit it", position)
        wanted = None
        if kind in (*types.TEXTUAL, "select", "ref", "file") and not isinstance(value, str):
            wanted = "a string"
        elif kind in ("number", "float") and (isinstance(value, bool) or not isinstance(value, (int, float))):
            wanted = "a number"
        elif kind == "bool" and not isinstance(value, bool):
            wanted = "true or false"
        elif kind == "document" or kind == "json":
            return value
        if node.op.lstrip("?") in ("~", "!~") and kind not in (*types.TEXTUAL, "select", "ref", "file"):
            raise bad_filter(f"~ finds text: {field['key']} is a {kind} field", position)
        if wanted:
            raise bad_filter(f"{field['key']} is a {kind} field: compare it with {wanted}", position)
        if kind in ("date", "datetime"):
            if isinstance(value, datetime):
                return value.date().isoformat() if kind == "date" else value
            try:
                parsed = types.parse_date(value) if kind == "date" else types.parse_datetime(value)
            except FieldError as exc:
                raise bad_filter(f"{field['key']} {exc.message}", position) from None
            return parsed.isoformat() if kind == "date" else parsed
        return value


def parse(text: str | None, limits, params: dict | None = None):
    """The filter's tree (None for an empty filter), or a 400 with the position."""
    return Parser(tokenize(text or "", limits), limits, params).parse()


async def compile_filter(text: str | None, model: dict, models: dict, limits, lookup, params: dict | None = None) -> dict:
    return await Compiler(model, models, limits, lookup).compile(parse(text, limits, params))


def compile_sort(text: str | None, model: dict) -> list[tuple[str, int]]:
    """`-created,title` -> [("created", -1), ("title", 1), ("_id", 1)]: system and scalar fields
    only; `_id` last so that pages never overlap."""
    by_key = {field["key"]: field for field in model["fields"]}
    order: list[tuple[str, int]] = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        direction = -1 if part.startswith("-") else 1
        key = part.lstrip("-+")
        if key in ("id", "created", "updated"):
            name = "_id" if key == "id" else key
        elif key in by_key and by_key[key]["type"] in SORTABLE and not types.multi(by_key[key]):
            name = key
        elif key in by_key:
            raise Refused(400, f"sort: {key} is a {by_key[key]['type']} field; it cannot be sorted on", code="invalid_sort", fields={"sort": f"{key} cannot be sorted on"})
        else:
            raise Refused(400, f"sort: {key!r} is not a field of {model['slug']}", code="invalid_sort", fields={"sort": f"{key!r} is not a field"})
        if name in (seen for seen, _ in order):
            continue
        order.append((name, direction))
        if len(order) > 8:
            raise Refused(400, "sort: at most 8 keys", code="invalid_sort", fields={"sort": "at most 8 keys"})
    if not any(name == "_id" for name, _ in order):
        order.append(("_id", 1))
    return order
