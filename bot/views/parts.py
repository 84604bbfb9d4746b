"""Messages that carry someone's words, cut to fit Telegram: nothing shared is lost to a length
limit. Pure, no I/O.

Telegram refuses a message longer than :data:`TELEGRAM_LIMIT` characters *after entities
parsing*: the tags of our HTML do not count, an escaped ``&lt;`` counts as one character, and a
character outside the Basic Multilingual Plane (most emoji) as two (UTF-16). Two answers of
2,000 characters under a Russian header do not fit one message, so every message that may hold
someone's words (a ``/talk`` reveal, a shared note or reflection, an appreciation, the
both-answered day) goes through :func:`message_parts`: one message when it fits, else parts cut
at a paragraph (or line, or word) break, each with the formatting that was open at the cut
closed at its end and opened again at the start of the next.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

TELEGRAM_LIMIT = 4096

_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|[^<&]|[<&]")
_TAG = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9-]+)")


@dataclass(frozen=True)
class _Atom:
    raw: str
    width: int  # what Telegram counts of it (0 for a tag)
    opens: str | None = None  # a tag's name when it opens one
    closes: str | None = None


def _width(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _atoms(text: str) -> list[_Atom]:
    atoms = []
    for token in _TOKEN.findall(text):
        tag = _TAG.match(token) if token.startswith("<") and len(token) > 1 else None
        if tag is not None:
            name = tag.group(2).lower()
            closing = tag.group(1) == "/"
            atoms.append(_Atom(token, 0, None if closing else name, name if closing else None))
        else:
            atoms.append(_Atom(token, _width(html.unescape(token))))
    return atoms


def visible_length(text: str) -> int:
    """How long Telegram takes the HTML ``text`` to be."""
    return sum(atom.width for atom in _atoms(text))


def _open_after(atoms: list[_Atom]) -> list[_Atom]:
    """The tags still open after ``atoms``, outermost first."""
    stack: list[_Atom] = []
    for atom in atoms:
        if atom.opens is not None:
            stack.append(atom)
        elif atom.closes is not None:
            for index in range(len(stack) - 1, -1, -1):
                if stack[index].opens == atom.closes:
                    del stack[index:]
                    break
    return stack


def _cut(atoms: list[_Atom], limit: int) -> int:
    """Where to cut: the last paragraph break that leaves at least half the message, else the
    last line break, else the last space, else at the limit itself."""
    fits, total = 0, 0
    for index, atom in enumerate(atoms):
        total += atom.width
        if total > limit:
            break
        fits = index + 1
    half = limit // 2
    breaks: dict[str, int] = {}
    total = 0
    for index in range(fits):
        atom = atoms[index]
        if total >= half and atom.raw in ("\n", " "):
            paragraph = atom.raw == "\n" and index > 0 and atoms[index - 1].raw == "\n"
            breaks["\n\n" if paragraph else atom.raw] = index
        total += atom.width
    for kind in ("\n\n", "\n", " "):
        if kind in breaks:
            return breaks[kind]
    return max(1, fits)


def message_parts(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """``text`` (HTML) as one message or, if too long, as several that each fit in ``limit``
    and together say all of it."""
    if _width(text) <= limit:  # tags and entities only ever make the raw text longer
        return [text]
    atoms = _atoms(text)
    parts: list[str] = []
    while sum(atom.width for atom in atoms) > limit:
        # The tags reopened in the next part count nothing; closing them costs nothing.
        index = _cut(atoms, limit)
        head, rest = atoms[:index], atoms[index:]
        still_open = _open_after(head)
        closing = "".join(f"</{atom.opens}>" for atom in reversed(still_open))
        parts.append(("".join(atom.raw for atom in head) + closing).strip())
        while rest and rest[0].raw in ("\n", " "):
            rest = rest[1:]
        atoms = still_open + rest
    last = "".join(atom.raw for atom in atoms).strip()
    if last or not parts:
        parts.append(last)
    return [part for part in parts if visible_length(part)] or [text]
