"""Create projects with the default label scheme or labels of their own."""

import re

from django.db import transaction

from django.db.models import ProtectedError

from ..errors import Refused
from ..models import Label, Membership, Project
from .assignment import reshuffle

DEFAULT_LABELS = [
    (
        "ACTOR",
        "#d62728",
        "1",
        "A party that takes part in the events or is their target, named or identified by nationality or "
        "side: organisations, armed groups, government bodies (IS, SDF, United Nations), named people "
        "without title (Haider al-Abadi), forces named by nationality or side (Iraqi forces, Syrian army, "
        "government forces). Not: countries or cities, generic nouns (militants, the army), peoples "
        "(Kurds), news agencies (Reuters, AFP). No leading 'the', no possessive, no '-backed' modifier.",
    ),
    (
        "LOCATION",
        "#1f77b4",
        "2",
        "A named place: country, region, province, city, town, village, district, road, river, valley, "
        "building or landmark. Type words of the name stay in (Aleppo province, Tigris River, Old City); "
        "direction words stay out (western Mosul -> Mosul). Countries and cities are LOCATION even when "
        "they act (Russia said). Not: nationality adjectives (Iraqi), generic places (the city).",
    ),
    (
        "QUANTITY",
        "#2ca02c",
        "3",
        "A count or measure of people, things, distance or area: approximator + number + counted noun "
        "with its 'of' (about 200 militants, Tens of thousands of civilians, 30km, between 200 and 300 "
        "IS fighters). Not: dates, times, durations, ages, ordinals, fractions, 'one' as a pronoun.",
    ),
]


def ensure_project(slug: str, name: str | None = None) -> Project:
    """Return the project `slug`, creating it with the default labels if it is new."""
    with transaction.atomic():
        project, created = Project.objects.get_or_create(slug=slug, defaults={"name": name or slug})
        if created or not project.labels.exists():
            Label.objects.bulk_create(
                Label(project=project, name=n, color=c, hotkey=k, description=d, order=i)
                for i, (n, c, k, d) in enumerate(DEFAULT_LABELS)
            )
    return project


# Colours given to the labels of a new project, in order (Tableau 10).
PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
LABEL_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


def create_project(slug: str, labels: list[str], name: str | None = None) -> Project:
    """Create project `slug` with its own labels: hotkeys 1..9 for the first nine, colours in turn.

    Refused if the slug is taken, a label name is not a word (letters,
    digits, _ and -) or a name repeats.
    """
    if not labels:
        raise ValueError("give at least one label")
    bad = [label for label in labels if not LABEL_NAME.match(label)]
    if bad:
        raise ValueError(f"label names are a letter then letters, digits, _ or -: {', '.join(bad)}")
    if len({label.upper() for label in labels}) != len(labels):
        raise ValueError("label names repeat")
    with transaction.atomic():
        if Project.objects.filter(slug=slug).exists():
            raise ValueError(f"project {slug!r} exists already")
        project = Project.objects.create(slug=slug, name=name or slug)
        Label.objects.bulk_create(
            Label(
                project=project,
                name=label,
                color=PALETTE[i % len(PALETTE)],
                hotkey=str(i + 1) if i < 9 else "",
                order=i,
            )
            for i, label in enumerate(labels)
        )
    return project


def reset_work_order(project: Project) -> None:
    """Recompute what the work order depends on after the settings changed."""
    reshuffle(project)


def add_member(project: Project, user, role: str) -> Membership:
    membership, _ = Membership.objects.update_or_create(project=project, user=user, defaults={"role": role})
    return membership


def remove_member(project: Project, user) -> None:
    """Take a user out of the project; their annotations stay (they are part of the record)."""
    Membership.objects.filter(project=project, user=user).delete()


def delete_label(label: Label) -> None:
    """Delete a label that no span of any layer uses."""
    try:
        label.delete()
    except ProtectedError:
        raise Refused(f"{label.name} is used by spans; rename it instead of deleting it.") from None
