"""The query language, parsed into a small tree. Engine-independent; never raises.

* space-separated terms are ANDed: ``光伏 2023``
* ``"…"`` (or ``“…”``) is an exact string: ``"强村公司"``
* ``-term`` excludes: ``信访 -矛盾``
* ``OR`` (upper case) between terms: ``光伏 OR 水电``
* parentheses group: ``(光伏 OR 水电) 项目``

Anything else is plain text: ``c++``, ``1+3+N``, ``稻+``, ``：``, ``township:x``, a lone ``"``
or ``-`` are searched for literally. Unbalanced quotes run to the end of the query, unbalanced
parentheses are closed or ignored. Terms are normalized with the indexer's own analysis.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from indexer.analysis import normalize

OPEN_QUOTES = {'"': '"', "“": "”", "”": "”", "＂": "＂", "「": "」"}
MAX_TERMS = 32


@dataclass(frozen=True)
class Term:
    text: str  # normalized
    exact: bool = False  # quoted: only the exact string matches
    original: str = ""


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


@dataclass
class ParsedQuery:
    raw: str
    root: Node | None  # None: empty query (browse everything)
    terms: list[Term] = field(default_factory=list)  # positive terms, for highlighting

    @property
    def is_empty(self) -> bool:
        return self.root is None


@dataclass
class _Token:
    kind: str  # word | phrase | lparen | rparen | or | minus
    text: str = ""
    original: str = ""


def _tokenize(raw: str) -> list[_Token]:
    folded = normalize(raw)
    tokens: list[_Token] = []
    i, n = 0, len(raw)
    while i < n:
        char = raw[i]
        if folded[i] == " " or not char.isprintable():
            i += 1
            continue
        if char in OPEN_QUOTES:
            close = OPEN_QUOTES[char]
            end = raw.find(close, i + 1) if close != char else raw.find(char, i + 1)
            if close == "”" and end == -1:
                end = raw.find('"', i + 1)
            end = n if end == -1 else end
            inner = raw[i + 1 : end]
            if inner.strip():
                tokens.append(_Token("phrase", normalize(inner).strip(), inner.strip()))
            elif end == n and not inner:
                tokens.append(_Token("word", normalize(char), char))  # a lone quote is text
            i = end + 1
            continue
        if folded[i] == "(":
            tokens.append(_Token("lparen"))
            i += 1
            continue
        if folded[i] == ")":
            tokens.append(_Token("rparen"))
            i += 1
            continue
        start = i
        while i < n and folded[i] != " " and folded[i] not in "()" and raw[i] not in OPEN_QUOTES and raw[i].isprintable():
            i += 1
        word = raw[start:i]
        if word in ("OR", "ＯＲ", "||"):
            tokens.append(_Token("or", original=word))
        elif folded[start] == "-" and len(word) > 1 and (start == 0 or folded[start - 1] in " ("):
            tokens.append(_Token("minus"))
            rest = word[1:]
            tokens.append(_Token("word", normalize(rest), rest))
        elif folded[start] == "-" and len(word) == 1 and i < n and raw[i] in OPEN_QUOTES:
            tokens.append(_Token("minus"))  # -"exact phrase"
        else:
            tokens.append(_Token("word", normalize(word), word))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]):
        self.tokens = tokens
        self.pos = 0
        self.count = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse_or(self, depth: int) -> Node | None:
        parts = [self.parse_and(depth)]
        while (token := self.peek()) is not None and token.kind == "or":
            self.pos += 1
            parts.append(self.parse_and(depth))
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self, depth: int) -> Node | None:
        parts: list[Node] = []
        while (token := self.peek()) is not None and token.kind not in ("or",):
            if token.kind == "rparen":
                if depth > 0:
                    break
                self.pos += 1  # a stray ")" is ignored
                continue
            node = self.parse_unary(depth)
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_unary(self, depth: int) -> Node | None:
        token = self.peek()
        if token.kind == "minus":
            self.pos += 1
            child = self.parse_atom(depth)
            return Not(child) if child is not None else None
        return self.parse_atom(depth)

    def parse_atom(self, depth: int) -> Node | None:
        token = self.peek()
        if token is None:
            return None
        self.pos += 1
        if token.kind == "lparen":
            if depth >= 8:
                return None
            inner = self.parse_or(depth + 1)
            if (closing := self.peek()) is not None and closing.kind == "rparen":
                self.pos += 1
            return inner
        if token.kind in ("word", "phrase"):
            self.count += 1
            if self.count > MAX_TERMS or not token.text.strip():
                return None
            return Term(token.text, exact=token.kind == "phrase", original=token.original)
        return None


def _positive_terms(node: Node | None, negated: bool = False) -> list[Term]:
    if node is None:
        return []
    if isinstance(node, Term):
        return [] if negated else [node]
    if isinstance(node, Not):
        return _positive_terms(node.child, not negated)
    return [t for child in node.children for t in _positive_terms(child, negated)]


def parse(raw: str) -> ParsedQuery:
    raw = raw or ""
    tokens = _tokenize(raw)
    root = _Parser(tokens).parse_or(0)
    # A dangling OR (``光伏 OR``) simply drops out; a query that is only "OR" searches for it.
    if root is None and any(t.kind == "or" for t in tokens):
        # The first token with text: ``( OR`` starts with a parenthesis, which has none.
        first = next(t for t in tokens if t.original.strip())
        root = Term(normalize(first.original), original=first.original)
    terms = list(dict.fromkeys(_positive_terms(root)))
    return ParsedQuery(raw=raw, root=root, terms=terms)


def exact_only(node: Node) -> Node:
    """The same node with every term made exact (an exclusion removes verbatim occurrences)."""
    if isinstance(node, Term):
        return Term(node.text, exact=True, original=node.original)
    if isinstance(node, Not):
        return Not(exact_only(node.child))
    if isinstance(node, And):
        return And(tuple(exact_only(c) for c in node.children))
    return Or(tuple(exact_only(c) for c in node.children))


def describe(node: Node | None) -> str:
    """A readable form of the parsed query, for debugging and the API."""
    if node is None:
        return ""
    if isinstance(node, Term):
        return f'"{node.text}"' if node.exact else node.text
    if isinstance(node, Not):
        return f"-{describe(node.child)}"
    joiner = " " if isinstance(node, And) else " OR "
    return "(" + joiner.join(describe(c) for c in node.children) + ")"
