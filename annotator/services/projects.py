"""Create projects with the default label scheme."""

from django.db import transaction

from django.db.models import ProtectedError

from ..models import Label, Membership, Project

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


def reset_work_order(project: Project) -> None:
    """Recompute what the work order depends on after the settings changed."""
    from .assignment import reshuffle

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
        raise ValueError(f"{label.name} is used by spans; rename it instead of deleting it.") from None
