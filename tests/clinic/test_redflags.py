"""The red-flag matcher against the clinic's default signs (seeded by clinic's data migration):
a table of pet parents' sentences, each marked with the sign it should raise or None.

Run with `pytest -s` to see the precision and recall; both must stay at or above THRESHOLD over
the table the phrases were tuned on, and at or above UNSEEN_FLOOR over sentences they were not.
"""

import pytest

from clinic.redflags import Matcher, Sign, normalize
from clinic.selectors import clinic_snapshot
from tests.factories import first_clinic

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
    # Written apart from the phrases, then used to widen them (clinic migration 0003). Before:
    # precision 0.86 and recall 0.57 over the first 36, 0.78 and 0.39 over the next 30.
    ("Luna is shaking uncontrollably and foaming at the mouth", "dog", SEIZURE),
    ("He's twitching and paddling his legs on the floor, eyes rolled back", "dog", SEIZURE),
    ("my puppy is gasping for air", "dog", BREATHING),
    ("She's panting heavily and her tongue is purple", "dog", BREATHING),
    ("Our cat is breathing with her mouth open", "cat", BREATHING),
    ("He fell over and can't get up", "dog", COLLAPSE),
    ("She suddenly went limp and unresponsive", "dog", COLLAPSE),
    ("Max fainted twice today", "dog", COLLAPSE),
    ("Blood is pouring from his ear and we can't stop it", "dog", BLEEDING),
    ("the wound keeps bleeding through the bandage", "dog", BLEEDING),
    ("He's retching but nothing comes out and his stomach is huge", "dog", BLOAT),
    ("her belly is tight like a drum and she's drooling", "dog", BLOAT),
    ("Oscar keeps going in and out of the litter tray and only a few drops come out", "cat", URINE),
    ("my tomcat is crying in the litter box and can't pass urine", "cat", URINE),
    ("She swallowed ibuprofen tablets", "dog", POISON),
    ("He ate a chocolate cake while we were out", "dog", POISON),
    ("the dog got into the slug pellets", "dog", POISON),
    ("She ate onions from the bin", "dog", POISON),
    ("Kitty knocked over the lilies and was licking her paws", "cat", LILIES),
    ("a car struck him on the road", "dog", CAR),
    ("He was run over by a truck", "dog", CAR),
    ("He's on seizure medication, when should I give the next dose?", "dog", None),
    ("Her breathing sounds a bit snuffly when she sleeps but she's fine", "dog", None),
    ("The bleeding stopped after I held pressure on it", "dog", None),
    ("He doesn't like riding in the car", "dog", None),
    ("We have a peace lily in the office, is it safe?", "cat", None),
    ("She peed fine this morning", "cat", None),
    ("He sometimes pants after his walk", "dog", None),
    ("Is it normal for a puppy to fall asleep suddenly?", "dog", None),
    ("Should I worry that she ate grass?", "dog", None),
    ("The chocolate lab next door is his best friend", "dog", None),
    ("No blood in his stool today", "dog", None),
    ("She's not vomiting anymore and her belly feels soft", "dog", None),
    ("He chased a car but didn't get near it", "dog", None),
    ("The stitches bled a little yesterday but are dry now", "dog", None),
    ("Her seizures are well controlled on phenobarbital", "dog", None),
    ("She's having a fit right now, what do I do", "dog", SEIZURE),
    ("He had another epileptic episode an hour ago", "dog", SEIZURE),
    ("my cat is wheezing and breathing through her mouth", "cat", BREATHING),
    ("he can barely breathe", "dog", BREATHING),
    ("her gums are pale and she won't get up", "dog", COLLAPSE),
    ("He just dropped to the floor and isn't moving", "dog", COLLAPSE),
    ("She's bleeding a lot from her paw", "dog", BLEEDING),
    ("The cut won't stop bleeding even with a towel on it", "dog", BLEEDING),
    ("His tummy has blown up like a balloon", "dog", BLOAT),
    ("He's trying to throw up but can't", "dog", BLOAT),
    ("Simba has been in the litter box straining for hours", "cat", URINE),
    ("My boy cat hasn't been able to wee all day", "cat", URINE),
    ("He ate a whole box of raisins", "dog", POISON),
    ("she drank some antifreeze from a puddle", "dog", POISON),
    ("The dog found my xylitol gum and ate it", "dog", POISON),
    ("My cat was chewing on the lily bouquet", "cat", LILIES),
    ("She got hit by a bike", "dog", CAR),
    ("A car knocked him over", "dog", CAR),
    ("The seizure he had last year hasn't come back", "dog", None),
    ("How much does the seizure medication cost?", "dog", None),
    ("He's breathing fine now after the walk", "dog", None),
    ("She's bleeding a little from a small scratch, it's stopped now", "dog", None),
    ("We are driving to you by car", "dog", None),
    ("Can my cat have lilies in the house?", "cat", None),
    ("He's peeing a lot more than usual", "cat", None),
    ("Her belly is round because she's pregnant", "dog", None),
    ("She gobbled her chicken dinner", "dog", None),
    ("Do grapes really hurt dogs?", "dog", None),
    ("He never collapses, just gets tired", "dog", None),
    ("Thank you for seeing us yesterday", "dog", None),
]

# Written after the phrases were last widened and never used to change them: what the matcher
# does with wording it has not seen, the figure to quote. Whoever widens the phrases with these
# moves them into TABLE and writes a new set first.
UNSEEN = [
    ("Nala is having convulsions", "dog", SEIZURE),
    ("He keeps shaking and falling over, is it a seizure?", "dog", SEIZURE),
    ("she's breathing really fast and her sides are heaving", "dog", BREATHING),
    ("My kitten is panting like a dog", "cat", BREATHING),
    ("He's choking on something", "dog", BREATHING),
    ("She can't stand up and her legs are wobbly", "dog", COLLAPSE),
    ("He just fell down and won't respond", "dog", COLLAPSE),
    ("Bleeding everywhere from his nose", "dog", BLEEDING),
    ("The bleeding won't stop", "dog", BLEEDING),
    ("His belly is massive and he's trying to be sick", "dog", BLOAT),
    ("Max keeps trying to pee and nothing comes out", "cat", URINE),
    ("He's been straining in the tray all morning", "cat", URINE),
    ("She ate a bag of grapes off the counter", "dog", POISON),
    ("He chewed up a packet of paracetamol", "dog", POISON),
    ("I think she swallowed rat bait", "dog", POISON),
    ("Our cat has lily pollen on her nose", "cat", LILIES),
    ("He was hit by a bus", "dog", CAR),
    ("A motorbike ran into her", "dog", CAR),
    ("When should he have his next seizure check-up?", "dog", None),
    ("She's breathing normally now, thank you", "dog", None),
    ("He didn't collapse, he just lay down", "dog", None),
    ("The vet said the bleeding was nothing to worry about", "dog", None),
    ("Is it ok to take him in the car after surgery?", "dog", None),
    ("She's been peeing normally", "cat", None),
    ("He had his dinner and some treats", "dog", None),
    ("Can I give her grapes?", "dog", None),
    ("Our neighbour's cat was hit by a car last year", "cat", None),
    ("He has a small lump on his belly", "dog", None),
    ("Please can we move the appointment to Friday?", "dog", None),
    ("She stopped limping yesterday", "dog", None),
]
UNSEEN_FLOOR = 0.85


@pytest.fixture
def matcher(db) -> Matcher:
    return clinic_snapshot(first_clinic().pk).matcher


def score(matcher: Matcher, table: list = TABLE) -> tuple[float, float, list[str]]:
    true_pos = false_pos = false_neg = 0
    wrong = []
    for sentence, species, expected in table:
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


def test_precision_and_recall_over_sentences_it_was_not_tuned_on(matcher):
    precision, recall, wrong = score(matcher, UNSEEN)
    print(
        f"\nred flags, unseen: {len(UNSEEN)} sentences, precision {precision:.2f}, "
        f"recall {recall:.2f}" + "".join(f"\n  {line}" for line in wrong)
    )
    assert precision >= UNSEEN_FLOOR, wrong
    assert recall >= UNSEEN_FLOOR, wrong


# Rows the matcher gets wrong, and why: the aggregate above counts them.
KNOWN_MISSES = {
    "The seizure he had last year hasn't come back": "a negation six words after the phrase",
}


@pytest.mark.parametrize(
    ("sentence", "species", "expected"),
    [
        pytest.param(
            *row,
            id=row[0],
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[row[0]])]
            if row[0] in KNOWN_MISSES
            else [],
        )
        for row in TABLE
    ],
)
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
