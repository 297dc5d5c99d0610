"""Red-flag signs in a pet parent's words: pure Python, no network, microseconds a message.

A sign is a list of phrases in a small language (see `RedFlagSign.phrases`): words, `word*`
for any ending (plural, tense), `a|b` for either, `word?` for an optional word and `...` for up
to five words. All phrases compile into one regular expression over the message, lower-cased,
its contractions spelt out ("can't" → "can not") and cut into clauses at punctuation and "but".

A match is dropped when the clause says it is not happening: a negation or a hypothetical
("no", "not", "never", "hasn't", "if") among the few words before the phrase (up to the clause's
start or a joining word such as "and"), "anymore" / "stopped" right after it, or a word that
makes it a question about treatment ("seizure medication"). A phrase may
hold the negation itself ("not breath*", "bleed* ... not stop*"): only words outside the phrase
can negate it.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

NEGATIONS = frozenset(
    {"no", "not", "never", "without", "none", "nothing", "stopped", "if", "whether", "unless"}
)
# Words after a phrase that say it is over: "not bleeding anymore", "the fits have stopped",
# "seizures are well controlled".
ENDED = frozenset({"anymore", "stopped", "ended", "controlled"})
# A word right after a phrase that makes it a question about treatment, not an event:
# "his seizure medication", "the seizure meds".
ABOUT = frozenset({"medication", "medicine", "meds", "dose", "treatment"})
# Where the words before a phrase stop belonging to it: "no vomiting and she collapsed".
JOINS = frozenset({"and", "or", "then", "so", "because", "now", "but", "although", "though"})
BEFORE, AFTER, GAP = 5, 3, 5

# Spelt out before the words are cut: "can't" → "can not", "isn't" → "is not".
_SPELT_OUT = (("can't", "can not"), ("cannot", "can not"), ("won't", "will not"), ("n't", " not"))
# The same without the apostrophe, as people type on phones.
_NO_APOSTROPHE = {
    "cant": "can not",
    "wont": "will not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "werent": "were not",
    "hasnt": "has not",
    "havent": "have not",
    "hadnt": "had not",
    "doesnt": "does not",
    "dont": "do not",
    "didnt": "did not",
    "couldnt": "could not",
    "wouldnt": "would not",
}
_SHORT_FORMS = re.compile(r"'(?:s|re|ve|d|ll|m)\b")
_CLAUSES = re.compile(r"[.!?;:,\n()]+")  # and the word "but", in normalize
_WORDS = re.compile(r"[a-z0-9]+")


def normalize(text: str) -> list[str]:
    """The message's clauses, each as lower-case words joined by single spaces."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    for short, long in _SPELT_OUT:
        text = text.replace(short, long)
    text = _SHORT_FORMS.sub("", text)
    clauses = []
    for part in _CLAUSES.split(text):
        words: list[str] = []
        for word in _WORDS.findall(part):
            if word == "but":
                if words:
                    clauses.append(" ".join(words))
                words = []
            else:
                words.append(_NO_APOSTROPHE.get(word, word))
        if words:
            clauses.append(" ".join(words))
    return clauses


def _tokens(phrase: str) -> list[tuple[bool, list[str]] | None]:
    """A phrase's tokens: (optional, words) each, None for a gap; words ending in * are stems."""
    tokens: list[tuple[bool, list[str]] | None] = []
    for token in phrase.lower().split():
        if token in {"...", "\u2026"}:
            if tokens and tokens[-1] is not None:  # a gap leads or doubles nothing
                tokens.append(None)
            continue
        words = [w for w in token.rstrip("?").split("|") if _WORDS.fullmatch(w.rstrip("*"))]
        if words:
            tokens.append((token.endswith("?"), words))
    while tokens and tokens[-1] is None:
        tokens.pop()
    return tokens


def _word(word: str) -> str:
    if word.endswith("*"):
        return re.escape(word[:-1]) + r"[a-z0-9]*"
    return re.escape(word)


def phrase_pattern(phrase: str) -> str | None:
    """A phrase of the sign language as a regular expression over "word word " text."""
    parts = []
    for token in _tokens(phrase):
        if token is None:
            parts.append(rf"(?:[a-z0-9]+ ){{0,{GAP}}}")
            continue
        optional, words = token
        piece = "(?:" + "|".join(_word(w) for w in words) + ") "
        parts.append(f"(?:{piece})?" if optional else piece)
    return "".join(parts) or None


def _first_words(phrase: str) -> list[str] | None:
    """The words a phrase can begin with (stems ending in *); None: it can begin anywhere."""
    first: list[str] = []
    for token in _tokens(phrase):
        if token is None:
            return None
        optional, words = token
        first.extend(words)
        if not optional:
            return first
    return None


@dataclass(frozen=True)
class Sign:
    name: str
    phrases: tuple[str, ...]
    species: str = ""  # "" : every pet


@dataclass(frozen=True)
class Match:
    sign: Sign
    words: str  # the words of the message that matched


class Matcher:
    """The signs' phrases compiled once, indexed by the words they begin with: at each word of
    a message only the phrases that can begin there are tried (a dictionary look-up and a few
    stems, remembered per word), which keeps a message's check in the tens of microseconds
    however long the list."""

    REMEMBERED_WORDS = 50_000

    def __init__(self, signs: Iterable[Sign]) -> None:
        self.signs = tuple(signs)
        self._phrases: list[tuple[re.Pattern[str], int]] = []
        self._by_word: dict[str, list[int]] = {}
        self._by_stem: dict[str, list[tuple[str, int]]] = {}
        self._anywhere: list[int] = []
        self._seen: dict[str, tuple[int, ...]] = {}  # word → the phrases that may begin there
        for index, sign in enumerate(self.signs):
            for phrase in sign.phrases:
                pattern = phrase_pattern(phrase)
                if pattern is None:
                    continue
                number = len(self._phrases)
                self._phrases.append((re.compile(pattern), index))
                first = _first_words(phrase)
                if first is None:
                    self._anywhere.append(number)
                    continue
                for word in first:
                    if word.endswith("*"):
                        stem = word[:-1]
                        self._by_stem.setdefault(stem[:2], []).append((stem, number))
                    else:
                        self._by_word.setdefault(word, []).append(number)

    def _candidates(self, word: str) -> tuple[int, ...]:
        known = self._seen.get(word)
        if known is not None:
            return known
        found = {*self._by_word.get(word, ()), *self._anywhere}
        found.update(n for stem, n in self._by_stem.get(word[:2], ()) if word.startswith(stem))
        candidates = tuple(sorted(found))
        if len(self._seen) < self.REMEMBERED_WORDS:  # people's vocabulary is small; typos not
            self._seen[word] = candidates
        return candidates

    def find(self, text: str, *, species: str | None = None) -> list[Match]:
        """The signs the text speaks of as happening, each once, in the order of the list.

        `species` None: every sign, whatever species it is for (the caller checks).
        """
        if not self._phrases or not text:
            return []
        found: dict[int, Match] = {}
        for clause in normalize(text):
            padded = clause + " "
            position = 0
            for word in clause.split(" "):
                start, position = position, position + len(word) + 1
                for number in self._candidates(word):
                    pattern, index = self._phrases[number]
                    sign = self.signs[index]
                    if index in found or (
                        species not in (None, "")
                        and sign.species
                        not in (
                            "",
                            species,
                        )
                    ):
                        continue
                    hit = pattern.match(padded, start)
                    if hit is None or _negated(padded, start, hit.end()):
                        continue
                    found[index] = Match(sign, hit.group().strip())
        return [found[i] for i in sorted(found)]


def _negated(clause: str, start: int, end: int) -> bool:
    before = clause[:start].split()[-BEFORE:]
    for word in reversed(before):
        if word in JOINS:
            break
        if word in NEGATIONS:
            return True
    after = clause[end:].split()[:AFTER]
    if after and after[0] in ABOUT:
        return True
    for word in after:
        if word in JOINS:
            break
        if word in ENDED:
            return True
    return False
