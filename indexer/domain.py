"""Domain knowledge kept in editable data files (``data/*.toml``, ``data/userdict.txt``).

Code reads these files through this module only; nothing domain-specific is hard-coded
elsewhere. Every list is normalized once here so rules compare like with like.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from indexer.normalize import normalize

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DOMAIN_DIR = PROJECT_ROOT / "data"


def domain_dir() -> Path:
    return Path(os.environ.get("TOWNSHIP_DOMAIN_DIR") or DEFAULT_DOMAIN_DIR)


def _norm_list(values) -> tuple[str, ...]:
    return tuple(normalize(v) for v in values)


@dataclass(frozen=True)
class Theme:
    name: str
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class ThemeRules:
    themes: tuple[Theme, ...]
    min_score: float = 2
    relative_to_best: float = 0.34
    max_themes: int = 3

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.themes)


@dataclass(frozen=True)
class Rules:
    """Extraction cues from ``data/rules.toml``, normalized."""

    raw: dict = field(repr=False)
    # Normalized lists by path, filled on first use (the stages ask for them per line).
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def list(self, *path: str) -> tuple[str, ...]:
        if path not in self.cache:
            node = self.raw
            for key in path:
                node = node.get(key, {})
            self.cache[path] = _norm_list(node or ())
        return self.cache[path]

    def value(self, *path: str, default=None):
        node = self.raw
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node

    def section_cues(self, kind: str) -> dict[str, tuple[str, ...]]:
        key = ("section_cues", kind)
        if key not in self.cache:
            cues = self.raw.get("section", {}).get(kind, {})
            self.cache[key] = {name: _norm_list(words) for name, words in cues.items()}
        return self.cache[key]


def _read_toml(path: Path) -> dict:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@lru_cache(maxsize=4)
def load_rules(directory: Path | None = None) -> Rules:
    return Rules(_read_toml((directory or domain_dir()) / "rules.toml"))


@lru_cache(maxsize=4)
def load_themes(directory: Path | None = None) -> ThemeRules:
    data = _read_toml((directory or domain_dir()) / "themes.toml")
    themes = tuple(Theme(t["name"], _norm_list(t.get("keywords", ()))) for t in data.get("theme", []))
    return ThemeRules(
        themes=themes,
        min_score=float(data.get("min_score", 2)),
        relative_to_best=float(data.get("relative_to_best", 0.34)),
        max_themes=int(data.get("max_themes", 3)),
    )


@lru_cache(maxsize=4)
def load_synonyms(directory: Path | None = None) -> tuple[tuple[str, ...], ...]:
    path = (directory or domain_dir()) / "synonyms.toml"
    if not path.exists():
        return ()
    return tuple(_norm_list(group) for group in _read_toml(path).get("groups", []) if len(group) > 1)


@dataclass(frozen=True)
class FollowupRules:
    """How plan passages are matched to the review passages that report on them (``data/followup.toml``)."""

    threshold: float = 0.3
    matches: int = 3
    place_suffixes: tuple[str, ...] = ()
    not_places: tuple[str, ...] = ()


@lru_cache(maxsize=4)
def load_followup(directory: Path | None = None) -> FollowupRules:
    path = (directory or domain_dir()) / "followup.toml"
    if not path.exists():
        return FollowupRules()
    data = _read_toml(path)
    places = data.get("places", {})
    return FollowupRules(
        threshold=float(data.get("threshold", 0.3)),
        matches=int(data.get("matches", 3)),
        place_suffixes=_norm_list(places.get("suffixes", ())),
        not_places=_norm_list(places.get("not_places", ())),
    )


def userdict_path(directory: Path | None = None) -> Path:
    return (directory or domain_dir()) / "userdict.txt"


def load_overrides(path: Path | None) -> dict[str, dict]:
    """Per-report metadata corrections keyed by file name or doc_id (``data/metadata.toml``)."""
    if path is None or not path.exists():
        return {}
    return {str(key): dict(value) for key, value in _read_toml(path).items() if isinstance(value, dict)}


def toml_value(value: str | int | None) -> str:
    """``value`` written as TOML: an integer, or a basic string with quotes, backslashes and
    control characters escaped (``None`` is "", which clears a field in ``data/metadata.toml``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    escaped = "".join("\\" + c if c in '"\\' else f"\\u{ord(c):04X}" if c < " " or c == "\x7f" else c for c in text)
    return f'"{escaped}"'


def override_table(key: str, lines: list[str]) -> str:
    """The table of ``data/metadata.toml`` correcting one report (``key``: its file name, its
    path inside the data folder or its doc_id), with ``lines`` of assignments and comments."""
    return "\n".join([f"[{toml_value(key)}]", *lines]) + "\n"
