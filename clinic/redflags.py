"""Red-flag signs in a pet parent's words: pure Python, no network, microseconds a message.

A sign is a list of phrases in a small language (see `RedFlagSign.phrases`): words, `word*`
for any ending (plural, tense), `a|b` for either, `word?` for an optional word and `...` for up
to five words. All phrases compile into one regular expression over the message, lower-cased,
its contractions spelt out ("can't" → "can not") and cut into clauses at punctuation and "but".

A match is dropped when the clause says it is not happening: a negation or a hypothetical
("no", "not", "never", "hasn't", "if") among the few words before the phrase (up to the clause's
start or a joining word such as "and"), or "anymore" / "stopped" right after it. A phrase may
hold the negation itself ("not breath*", "bleed* ... not stop*"): only words outside the phrase
can negate it.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

NEGATIONS = frozenset(
    {"no", "not", "never", "without", "none", "nothing", "stopped", "if", "whether", "unless"}
)
# Words after a phrase that say it is over: "not bleeding anymore", "the fits have stopped".
ENDED = frozenset({"anymore", "stopped", "ended"})
# Where the words before a phrase stop belonging to it: "no vomiting and she collapsed".
JOINS = frozenset({"and", "or", "then", "so", "because", "now", "but", "although", "though"})
BEFORE, AFTER, GAP = 5, 3, 5

_CONTRACTIONS = [
    (re.compile(r"\b(can)'?t\b|\bcannot\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"\bshan'?t\b"), "shall not"),
    (re.compile(r"\b(\w+)n't\b"), r"\1 not"),
    (re.compile(r"\b(isnt|arent|wasnt|werent|hasnt|havent|hadnt|doesnt|dont|didnt|couldnt)\b"), ""),
    (re.compile(r"'(s|re|ve|d|ll|m)\b"), ""),
]
_NOT_WRITTEN_OUT = {
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
}
_CLAUSES = re.compile(r"[.!?;:,\n()]+|\bbut\b")
_WORDS = re.compile(r"[a-z0-9]+")


def normalize(text: str) -> list[str]:
    """The message's clauses, each as lower-case words joined by single spaces."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    for pattern, replacement in _CONTRACTIONS[:4]:
        text = pattern.sub(replacement, text)
    text = _CONTRACTIONS[4][0].sub(lambda m: _NOT_WRITTEN_OUT[m.group(1)], text)
    text = _CONTRACTIONS[5][0].sub("", text)
    clauses = []
    for part in _CLAUSES.split(text):
        words = _WORDS.findall(part)
        if words:
            clauses.append(" ".join(words))
    return clauses


def _word(token: str) -> str:
    if token.endswith("*"):
        return re.escape(token[:-1]) + r"[a-z0-9]*"
    return re.escape(token)


def phrase_pattern(phrase: str) -> str | None:
    """A phrase of the sign language as a regular expression over "word word " text."""
    parts = []
    for token in phrase.lower().split():
        if token in {"...", "…"}:
            parts.append(rf"(?:[a-z0-9]+ ){{0,{GAP}}}")
            continue
        optional = token.endswith("?")
        words = [w for w in token.rstrip("?").split("|") if _WORDS.fullmatch(w.rstrip("*"))]
        if not words:
            continue
        piece = "(?:" + "|".join(_word(w) for w in words) + ") "
        parts.append(f"(?:{piece})?" if optional else piece)
    if not parts:
        return None
    return "".join(parts)


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
    """The signs compiled once into one expression; `find` runs per message."""

    def __init__(self, signs: Iterable[Sign]) -> None:
        self.signs = tuple(signs)
        alternatives = []
        for index, sign in enumerate(self.signs):
            patterns = [p for p in map(phrase_pattern, sign.phrases) if p]
            if patterns:
                alternatives.append(f"(?P<s{index}>" + "|".join(patterns) + ")")
        self._expression = (
            re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + ")")
            if alternatives
            else None
        )

    def find(self, text: str, *, species: str | None = None) -> list[Match]:
        """The signs the text speaks of as happening, each once, in the order of the list.

        `species` None: every sign, whatever species it is for (the caller checks).
        """
        if self._expression is None or not text:
            return []
        found: dict[int, Match] = {}
        for clause in normalize(text):
            padded = clause + " "
            position = 0
            while True:
                hit = self._expression.search(padded, position)
                if hit is None:
                    break
                position = hit.start() + 1
                index = int(hit.lastgroup[1:])
                sign = self.signs[index]
                if index in found or (species is not None and sign.species not in ("", species)):
                    continue
                if _negated(padded, hit.start(), hit.end()):
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
    for word in clause[end:].split()[:AFTER]:
        if word in JOINS:
            break
        if word in ENDED:
            return True
    return False
