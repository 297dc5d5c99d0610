"""The clinic's settings row and a default list of red-flag signs, which staff then edit."""

from django.db import migrations

DEFAULT_SIGNS = [
    (
        "Seizure or fitting",
        "",
        [
            "seiz*",
            "convuls*",
            "fitting",
            "a|having|had|have|has|more|several|few|another|multiple|epileptic fit|fits",
            "shaking uncontrollably",
        ],
    ),
    (
        "Not breathing or breathing hard",
        "",
        [
            "not breath*",
            "stopped breath*",
            "struggl*|fighting|gasping ... breath*",
            "difficulty|trouble|problems|hard|laboured|labored|heavy|noisy breath*",
            "breath* really|very|so|too? hard|heavily|fast|rapidly|quickly",
            "breath* with difficulty",
            "gasping",
            "choking",
            "blue|grey|gray|white gums|tongue",
            "gums|tongue look|looks|are|is|turned|turning|gone|went|going? blue|grey|gray|white",
        ],
    ),
    (
        "Collapse",
        "",
        [
            "collaps*",
            "passed out",
            "fainted|fainting|faints",
            "unconscious",
            "unresponsive",
            "can not stand|get up",
        ],
    ),
    (
        "Bleeding that won't stop",
        "",
        [
            "bleed* ... not stop*",
            "not stop* bleed*",
            "bleed* heavily|badly|profusely|everywhere|nonstop|constantly",
            "bleed* a lot",
            "bleed* non stop",
            "keeps|keep|still|continuously bleed*",
            "lot|lots|pool|puddle of blood",
            "blood everywhere",
            "pouring|gushing|spurting blood",
            "blood pouring|gushing|spurting",
        ],
    ),
    (
        "Swollen hard belly with retching",
        "",
        [
            "bloat*",
            "swollen|distended|hard|tight|huge|big belly|stomach|tummy|abdomen",
            "belly|stomach|tummy|abdomen is|looks|feels|seems|has|got? very|really|so? "
            "swollen|swelled|distended|hard|tight|bloated|big",
            "retch*",
            "dry heav*",
            "trying|tries|tried to vomit|puke",
            "trying|tries|tried to be sick",
            "trying|tries|tried to throw up",
        ],
    ),
    (
        "Straining to pee (male cat)",
        "cat",
        [
            "strain*|struggl*|trying|tries|tried|unable to? pee*|wee*|urinat*|piddl*",
            "can not pee*|wee*|urinat*",
            "not peed|weed|urinated|peeing|weeing|urinating",
            "no pee|wee|urine",
            "strain* ... litter|tray",
            "blocked bladder|cat",
        ],
    ),
    (
        "Ate something poisonous",
        "",
        [
            "ate|eaten|eat|eats|eating|had|has|swallow*|chew*|consum*|ingest*|lick*|stole|"
            "scoffed|wolfed|got|gotten|into ... chocolate*|grape*|raisin*|sultana*|currant*|"
            "xylitol|antifreeze|ibuprofen|paracetamol|rodenticide|poison*|bait",
            "anti freeze",
            "rat|mouse|slug poison|bait|pellets",
            "chocolate|grape|grapes|raisin|raisins|xylitol|antifreeze poisoning|poisoned",
        ],
    ),
    (
        "Lilies (cats)",
        "cat",
        [
            "ate|eaten|eat|eats|eating|chew*|lick*|swallow*|nibbl*|bit|got ... lily|lilies",
            "lily|lilies pollen",
            "pollen ... fur|paw*|face",
        ],
    ),
    (
        "Hit by a car",
        "",
        [
            "hit|struck|knocked|run|ran|clipped down|over? by a|an|the? car|vehicle|van|truck|"
            "lorry|bus|motorbike|motorcycle|bike|bicycle|tractor",
            "car|vehicle|van|truck|lorry|bus hit|struck|ran over|knocked",
            "run|ran over",
            "road accident",
            "rta",
        ],
    ),
]


def seed(apps, schema_editor):
    ClinicSettings = apps.get_model("clinic", "ClinicSettings")
    RedFlagSign = apps.get_model("clinic", "RedFlagSign")
    ClinicSettings.objects.get_or_create(pk=1)
    if RedFlagSign.objects.exists():
        return
    RedFlagSign.objects.bulk_create(
        RedFlagSign(name=name, species=species, phrases="\n".join(phrases), position=position)
        for position, (name, species, phrases) in enumerate(DEFAULT_SIGNS)
    )


class Migration(migrations.Migration):
    dependencies = [("clinic", "0001_clinic_settings_signs_urgent_replies_canned")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
