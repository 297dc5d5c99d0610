"""The red-flag matcher against the clinic's default signs (seeded by clinic's data migration):
a table of pet parents' sentences, each marked with the sign it should raise or None.

Run with `pytest -s` to see the precision and recall; both must stay at or above THRESHOLD.
"""

import time

import pytest

from clinic.redflags import Matcher, Sign, normalize
from clinic.selectors import clinic_snapshot

THRESHOLD = 0.95

SEIZURE = "Seizure or fitting"
BREATHING = "Not breathing or breathing hard"
COLLAPSE = "Collapse"
BLEEDING = "Bleeding that won't stop"
BLOAT = "Swollen hard belly with retching"
URINE = "Straining to pee (male cat)"
POISON = "Ate something poisonous"
LILIES = "Lilies (cats)"
CAR = "Hit by a car"

# (sentence, species of the pet, the sign it should raise or None)
TABLE = [
    # seizures
    ("She's been fitting for two minutes and won't stop", "dog", SEIZURE),
    ("Rex had a seizure this morning", "dog", SEIZURE),
    ("He is having seizures one after another", "dog", SEIZURE),
    ("my dog just had a fit on the kitchen floor", "dog", SEIZURE),
    ("She started convulsing in her bed", "dog", SEIZURE),
    ("No seizures since Monday, the new dose works", "dog", None),
    ("He hasn't had a seizure in months", "dog", None),
    ("The seizures have stopped since we changed food", "dog", None),
    ("The new collar fits him well", "dog", None),
    # breathing
    ("My cat can't breathe properly", "cat", BREATHING),
    ("He is breathing really hard and fast after nothing at all", "dog", BREATHING),
    ("She's struggling to breathe", "dog", BREATHING),
    ("Bella is not breathing!!", "dog", BREATHING),
    ("His gums look blue", "dog", BREATHING),
    ("Breathing is normal again today", "dog", None),
    ("She is sleeping and breathing normally", "dog", None),
    # collapse
    ("He collapsed on our walk", "dog", COLLAPSE),
    ("She collapses when she tries to run", "dog", COLLAPSE),
    ("Milo passed out in the garden", "dog", COLLAPSE),
    ("He hasn't collapsed again since Friday", "dog", None),
    ("She never collapsed, she just seemed tired", "dog", None),
    # bleeding
    ("The cut on his paw won't stop bleeding", "dog", BLEEDING),
    ("There's a lot of blood, it keeps bleeding", "dog", BLEEDING),
    ("She is bleeding heavily from the mouth", "dog", BLEEDING),
    ("It's not bleeding anymore, just a scab", "dog", None),
    ("A tiny bit of bleeding from the nail clip, it stopped straight away", "dog", None),
    # bloat
    ("His belly is swollen and hard and he keeps retching", "dog", BLOAT),
    ("She is trying to vomit but nothing comes up", "dog", BLOAT),
    ("His stomach looks bloated", "dog", BLOAT),
    ("He ate his dinner and his tummy is fine", "dog", None),
    # urinary, cats only
    ("Tom keeps straining to pee in the litter box", "cat", URINE),
    ("My male cat is trying to wee but nothing comes out", "cat", URINE),
    ("He hasn't peed since yesterday", "cat", URINE),
    ("He is peeing normally again", "cat", None),
    # poisons
    ("She ate some raisins from the table", "dog", POISON),
    ("Rex got into the chocolate and ate a whole bar", "dog", POISON),
    ("He's eaten grapes!", "dog", POISON),
    ("I think he licked some antifreeze in the garage", "dog", POISON),
    ("She chewed a pack of gum with xylitol", "dog", POISON),
    ("We found rat poison chewed open in the shed", "dog", POISON),
    ("He didn't eat any chocolate, I checked", "dog", None),
    ("Is chocolate bad for dogs?", "dog", None),
    ("She loves her chicken treats", "dog", None),
    # lilies: cats, not dogs
    ("Our cat chewed a lily leaf", "cat", LILIES),
    ("There's lily pollen on her fur", "cat", LILIES),
    ("We bought lilies for the table", "cat", None),
    # road traffic
    ("He got hit by a car an hour ago", "dog", CAR),
    ("She was hit by a car last night", "cat", CAR),
    ("A van ran over his leg", "dog", CAR),
    ("He was knocked down by a motorbike", "dog", CAR),
    ("She is scared of cars on the road", "dog", None),
    # everyday messages
    ("Can I bring him in on Tuesday for his vaccines?", "dog", None),
    ("She's eating well and her breathing is fine", "dog", None),
    ("Thanks, he is much better today", "dog", None),
    ("What time do you open tomorrow?", "cat", None),
]


@pytest.fixture
def matcher(db) -> Matcher:
    return clinic_snapshot().matcher


def score(matcher: Matcher) -> tuple[float, float, list[str]]:
    true_pos = false_pos = false_neg = 0
    wrong = []
    for sentence, species, expected in TABLE:
        found = matcher.find(sentence, species=species)
        names = [m.sign.name for m in found]
        if expected is None:
            if names:
                false_pos += 1
                wrong.append(f"false alarm {names}: {sentence}")
        elif expected in names:
            true_pos += 1
        else:
            false_neg += 1
            wrong.append(f"missed {expected} (found {names}): {sentence}")
            false_pos += bool(names)
    precision = true_pos / (true_pos + false_pos) if true_pos + false_pos else 1.0
    recall = true_pos / (true_pos + false_neg)
    return precision, recall, wrong


def test_the_table_has_forty_sentences_positive_and_negative():
    positives = [row for row in TABLE if row[2]]
    assert len(TABLE) >= 40
    assert len(positives) >= 20 and len(TABLE) - len(positives) >= 15


def test_precision_and_recall_over_the_table(matcher):
    precision, recall, wrong = score(matcher)
    print(
        f"\nred flags: {len(TABLE)} sentences, precision {precision:.2f}, recall {recall:.2f}"
        + "".join(f"\n  {line}" for line in wrong)
    )
    assert precision >= THRESHOLD, wrong
    assert recall >= THRESHOLD, wrong


@pytest.mark.parametrize(("sentence", "species", "expected"), TABLE, ids=[r[0] for r in TABLE])
def test_each_sentence(matcher, sentence, species, expected):
    """Each row alone: what a failure of the aggregate points at."""
    names = [m.sign.name for m in matcher.find(sentence, species=species)]
    if expected is None:
        assert names == []
    else:
        assert expected in names


def test_cat_only_signs_do_not_match_a_dog(matcher):
    assert matcher.find("He ate a lily", species="dog") == []
    assert [m.sign.name for m in matcher.find("He ate a lily", species="cat")] == [LILIES]


def test_contractions_and_clauses_are_spelt_out():
    assert normalize("She hasn't eaten. He can't breathe, but it's fine") == [
        "she has not eaten",
        "he can not breathe",
        "it fine",
    ]


def test_a_phrase_language_of_words_endings_alternatives_and_gaps():
    matcher = Matcher([Sign("Toxic", ("ate|eaten ... sock*", "blue? pill*"))])
    assert matcher.find("he ate my two old socks")
    assert matcher.find("she has eaten a sock")
    assert matcher.find("found pills on the floor")
    assert matcher.find("a blue pill")
    assert not matcher.find("he ate the whole of my two old smelly socks")  # gap of six
    assert not matcher.find("she never ate a sock")


def test_matching_is_fast(matcher):
    """The matcher runs inside every send: even a long message takes a few milliseconds at most
    on a busy test machine (tens of microseconds for a usual one)."""
    text = " ".join(sentence for sentence, _, _ in TABLE)[:2000]
    rounds = 200
    started = time.perf_counter()
    for _ in range(rounds):
        matcher.find(text)
    per_message = (time.perf_counter() - started) / rounds
    print(f"\nred flags: {per_message * 1e6:.0f} µs for a {len(text)}-character message")
    assert per_message < 0.005
