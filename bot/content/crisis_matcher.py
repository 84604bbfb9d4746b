"""Recognising a message from someone who may be in danger. Pure: no I/O.

Messages and phrases are reduced to the same words (case, punctuation, apostrophes and spacing
folded, "ё" read as "е"; sentence breaks kept as a word of their own), so "I DON'T want to be
alive…" and the phrase "don't want to be alive" meet. People write the same danger in many
forms, so a phrase word also matches:

- any word with the same Snowball stem in the phrase file's language ("hits", "hitting" for
  "hit"; stems miss irregular forms, so the files still list schlägt/schlug, бьёт/бил);
- any word that starts with it, when it ends in ``*`` (``суицид*``);

and up to ``max_gap`` other words may stand between two phrase words ("my husband *is*
hitting me"), but never a sentence break and never a negation ("he *never* hit me").

A phrase matches only as whole words: "kill myself" is found inside "honestly i could kill
myself", "kill" alone never is. A sentence break inside a phrase (a comma) may be typed or
not; one at its end (a full stop) must be there: "scared of her." matches "I'm scared of her!"
but not "scared of her reaction". A phrase's own ``unless`` phrases cancel a match of it they
overlap ("don't want to live without you"); the file's global exceptions cancel any match.

Every message goes through every language (:class:`EveryLanguage`): the words are folded once,
each language stems them once (its stemmer keeps a bounded cache of the words it has seen), and
each word is looked up in a tree of the phrases' stems built at start, so the cost per message
grows with its length, not with the number of phrases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import Stemmer

BREAK = "."
PREFIX = "*"
# The letters a prefix needs before its "*" (a shorter one would match far too many words,
# "ub*"); prefixes are indexed by as many first letters, so a word meets only the prefixes
# that begin as it does, not all of them (Russian has over a hundred).
MIN_PREFIX = 3
# How many words each language's stemmer remembers: the words of a few thousand messages.
STEM_CACHE_WORDS = 20_000
_APOSTROPHES = re.compile(r"['’‘ʼ`´]")
_MESSAGE_TOKEN = re.compile(r"([^\W_]+)|([.!?;:,\n…]+)")
_PHRASE_TOKEN = re.compile(r"([^\W_]+)(\*?)|([.!?;:,\n…]+)")

Words = tuple[str, ...]


def fold(text: str) -> str:
    """Case, compatibility forms, apostrophes and "ё" folded, as every word is compared."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("ё", "е").replace("Ё", "е")
    return _APOSTROPHES.sub("", text.casefold())


def words_of(text: str) -> Words:
    """``text`` as folded words, with each sentence break as a ``BREAK`` word (one after
    every clause with words, the last one included: "her." and "her" end alike)."""
    words: list[str] = []
    for word, _break in _MESSAGE_TOKEN.findall(fold(text)):
        if word:
            words.append(word)
        elif words and words[-1] != BREAK:
            words.append(BREAK)
    if words and words[-1] != BREAK:
        words.append(BREAK)
    return tuple(words)


def phrase_tokens(phrase: str) -> Words:
    """A piece of a phrase as written: words (one may end in ``*``) and ``BREAK`` for each
    run of punctuation; :func:`tidy` makes a phrase of pieces put together."""
    return tuple(
        word + star if word else BREAK for word, star, _ in _PHRASE_TOKEN.findall(fold(phrase))
    )


def tidy(tokens: Iterable[str]) -> Words:
    """Tokens as a phrase: no break first, never two breaks in a row."""
    words: list[str] = []
    for token in tokens:
        if token != BREAK or (words and words[-1] != BREAK):
            words.append(token)
    return tuple(words)


def phrase_words(phrase: str) -> Words:
    """A phrase from a content file as words: a word may end in ``*`` (a prefix), and a
    sentence break is kept as ``BREAK``, at the end only if it was written."""
    return tidy(phrase_tokens(phrase))


def is_prefix(word: str) -> bool:
    return word.endswith(PREFIX)


@dataclass(frozen=True)
class Rule:
    """One entry of a family: every variant of its phrase, and of its own exceptions."""

    variants: tuple[Words, ...]
    unless: tuple[Words, ...] = ()


@dataclass(frozen=True)
class MatchSettings:
    """``[matching]`` of a phrase file."""

    max_gap: int
    negations: frozenset[str]
    stem: bool


# Shared by every node with no words after it (most of a tree's nodes, before ``share``):
# never written to, a node gets a dict of its own when a word goes on from it.
_NO_CHILDREN: Mapping[str, _Node] = MappingProxyType({})
_NO_PREFIXES: Mapping[str, list[tuple[str, _Node]]] = MappingProxyType({})


class _Node:
    """A node of the phrase tree: the phrases that end here, and the words that go on:
    ``children`` by word key, ``prefixes`` by their first ``MIN_PREFIX`` letters (each with
    the whole prefix), ``brk`` after a sentence break."""

    __slots__ = ("brk", "children", "ends", "prefixes")

    def __init__(self) -> None:
        self.ends: tuple[int, ...] = ()
        self.children: Mapping[str, _Node] = _NO_CHILDREN
        self.prefixes: Mapping[str, list[tuple[str, _Node]]] = _NO_PREFIXES
        self.brk: _Node | None = None

    def child(self, key: str) -> _Node:
        """The node after the word ``key``, made on first use."""
        found = self.children.get(key)
        if found is not None:
            return found
        children: dict[str, _Node] = self.children if isinstance(self.children, dict) else {}
        self.children = children
        made = children[key] = _Node()
        return made

    def prefix_child(self, prefix: str) -> _Node:
        """The node after ``prefix`` (without its ``*``), made on first use."""
        if len(prefix) < MIN_PREFIX:
            raise ValueError(f"the prefix {prefix + PREFIX!r} is shorter than {MIN_PREFIX} letters")
        prefixes: dict[str, list[tuple[str, _Node]]] = (
            self.prefixes if isinstance(self.prefixes, dict) else {}
        )
        self.prefixes = prefixes
        same_head = prefixes.setdefault(prefix[:MIN_PREFIX], [])
        for known, child in same_head:
            if known == prefix:
                return child
        child = _Node()
        same_head.append((prefix, child))
        return child

    def prefixed(self, word: str) -> Iterator[_Node]:
        """The nodes after every prefix ``word`` starts with."""
        for prefix, child in self.prefixes.get(word[:MIN_PREFIX], ()):
            if word.startswith(prefix):
                yield child


Span = tuple[int, int, int]  # (phrase id, first word, one past the last word)


class _Stems:
    """Words to the keys the tree is built on: their Snowball stems, or the words themselves."""

    def __init__(self, algorithm: str | None) -> None:
        self._stemmer = None if algorithm is None else Stemmer.Stemmer(algorithm, STEM_CACHE_WORDS)

    def keys(self, words: Sequence[str]) -> list[str]:
        if self._stemmer is None:
            return list(words)
        stems: list[str] = self._stemmer.stemWords(words)
        return stems


# A node's shape: its ends, and its children, prefixes and break by the identity of their one
# shared instance (see ``_Tree.share``).
_Shape = tuple[tuple[int, ...], tuple[tuple[str, int], ...], tuple[tuple[str, int], ...], int]


class _Tree:
    """Phrases as a tree of word keys, walked from every word of a message.

    Written out, the phrases' word lists give tens of thousands of variants whose tails are
    the same ("{partner} hit me": every partner word goes on to "hit me"), so a plain tree
    held ~190,000 nodes for the four languages (~60 MB). Once built, equal subtrees are made
    one shared node (``share``: ~5,000 remain); the walk only reads nodes, so it finds the
    same spans."""

    def __init__(
        self,
        phrases: Iterable[tuple[int, Words]],
        stems: _Stems,
        shapes: dict[_Shape, _Node] | None = None,
    ) -> None:
        self.root = _Node()
        phrases = list(phrases)
        plain = sorted({w for _, words in phrases for w in words if w != BREAK and w[-1] != PREFIX})
        key_of = dict(zip(plain, stems.keys(plain), strict=True))
        for phrase_id, words in phrases:
            node = self.root
            for word in words:
                if word == BREAK:
                    if node.brk is None:
                        node.brk = _Node()
                    node = node.brk
                    continue
                if word[-1] == PREFIX:
                    node = node.prefix_child(word[:-1])
                    continue
                node = node.child(key_of[word])
            if phrase_id not in node.ends:
                node.ends += (phrase_id,)
        self.root = self.share(self.root, {} if shapes is None else shapes)

    @classmethod
    def share(cls, node: _Node, shapes: dict[_Shape, _Node]) -> _Node:
        """``node`` with every subtree replaced by the one node of its shape in ``shapes``
        (bottom up: children are shared first, so equal shapes mean equal subtrees)."""
        if node.children:
            node.children = {key: cls.share(child, shapes) for key, child in node.children.items()}
        if node.prefixes:
            node.prefixes = {
                head: [(prefix, cls.share(child, shapes)) for prefix, child in same_head]
                for head, same_head in node.prefixes.items()
            }
        if node.brk is not None:
            node.brk = cls.share(node.brk, shapes)
        shape = (
            node.ends,
            tuple((key, id(child)) for key, child in node.children.items()),
            tuple(
                (prefix, id(child))
                for same_head in node.prefixes.values()
                for prefix, child in same_head
            ),
            id(node.brk),
        )
        return shapes.setdefault(shape, node)

    def spans(self, words: Words, keys: Sequence[str], settings: MatchSettings) -> list[Span]:
        """Every (phrase, start, end) found in the message, gaps and all."""
        found: list[Span] = []
        root = self.root
        for start, word in enumerate(words):
            if word == BREAK:
                continue
            child = root.children.get(keys[start])
            if child is not None:
                self._walk(child, words, keys, settings, start, start, found)
            if root.prefixes:
                for node in root.prefixed(word):
                    self._walk(node, words, keys, settings, start, start, found)
        return found

    def _walk(
        self,
        node: _Node,
        words: Words,
        keys: Sequence[str],
        settings: MatchSettings,
        start: int,
        last: int,
        found: list[Span],
        ends: bool = True,
    ) -> None:
        # ``ends`` is False on a break that was not typed: a phrase ending in "." ends there
        # only when the message has the break ("scared of her." shares its path with "scared
        # of her, when", but "scared of her reaction" is not the first).
        if ends:
            found.extend((phrase_id, start, last + 1) for phrase_id in node.ends)
        following = last + 1
        if node.brk is not None:
            if following < len(words) and words[following] == BREAK:
                self._walk(node.brk, words, keys, settings, start, following, found)
            elif node.brk.children or node.brk.prefixes:
                # A break inside a phrase (a comma) need not be typed.
                self._walk(node.brk, words, keys, settings, start, last, found, ends=False)
        if not node.children and not node.prefixes:
            return
        for index in range(following, min(len(words), following + settings.max_gap + 1)):
            word = words[index]
            if word == BREAK:
                return
            child = node.children.get(keys[index])
            if child is not None:
                self._walk(child, words, keys, settings, start, index, found)
            if node.prefixes:
                for prefixed in node.prefixed(word):
                    self._walk(prefixed, words, keys, settings, start, index, found)
            if word in settings.negations:
                return


def _overlaps(span: Span, others: Iterable[Span]) -> bool:
    return any(o_start < span[2] and span[1] < o_end for _, o_start, o_end in others)


class CrisisMatcher:
    """One language's phrases per family (suicide, partner violence…), their exceptions and
    how they match. Built once at start; reading a message changes only the stemmer's cache."""

    def __init__(
        self,
        families: Mapping[str, Sequence[Rule]],
        exceptions: Iterable[Words],
        settings: MatchSettings,
        stemmer: str | None,
    ) -> None:
        self.settings = settings
        # The Snowball algorithm words are stemmed with ("russian"), None without stems.
        self.stemmer = stemmer if settings.stem else None
        self._stems = _Stems(self.stemmer)
        self._families = tuple(families)
        rules = [
            (family_index, rule)
            for family_index, family in enumerate(families.values())
            for rule in family
        ]
        self._rule_family = tuple(family_index for family_index, _ in rules)
        # One set of shapes for all of this language's trees: they share subtrees too.
        shapes: dict[_Shape, _Node] = {}
        self._tree = _Tree(
            (
                (rule_id, words)
                for rule_id, (_, rule) in enumerate(rules)
                for words in rule.variants
            ),
            self._stems,
            shapes,
        )
        self._unless = {
            rule_id: _Tree(((0, words) for words in rule.unless), self._stems, shapes)
            for rule_id, (_, rule) in enumerate(rules)
            if rule.unless
        }
        self._exceptions = _Tree(((0, words) for words in exceptions), self._stems, shapes)

    def family_of_words(self, words: Words) -> str | None:
        """The first family (in file order) with a phrase found in ``words`` and not cancelled."""
        keys = self._stems.keys(words)
        found = self._tree.spans(words, keys, self.settings)
        if not found:
            return None
        cancelled = self._exceptions.spans(words, keys, self.settings)
        # Each phrase's own exceptions are looked for once per message, however often it matched.
        own: dict[int, list[Span]] = {}
        for span in sorted(set(found), key=lambda span: self._rule_family[span[0]]):
            if _overlaps(span, cancelled):
                continue
            rule = span[0]
            unless = self._unless.get(rule)
            if unless is not None:
                if rule not in own:
                    own[rule] = unless.spans(words, keys, self.settings)
                if _overlaps(span, own[rule]):
                    continue
            return self._families[self._rule_family[rule]]
        return None

    def family_of(self, text: str) -> str | None:
        """The family of the first phrase found in ``text``, or ``None``."""
        return self.family_of_words(words_of(text))

    def matches(self, text: str | None) -> bool:
        return text is not None and self.family_of(text) is not None


@dataclass(frozen=True)
class EveryLanguage:
    """The crisis phrases of every language, each with its own exceptions: someone may write
    in another language than the one the bot speaks to them, and help must still come."""

    matchers: tuple[CrisisMatcher, ...]

    def family_of(self, text: str) -> str | None:
        words = words_of(text)
        for matcher in self.matchers:
            if (family := matcher.family_of_words(words)) is not None:
                return family
        return None

    def matches(self, text: str | None) -> bool:
        return text is not None and self.family_of(text) is not None
