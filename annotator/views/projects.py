"""Project pages: the list, a project's documents, its progress dashboard and its settings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import listing, selectors, services, states
from ..selectors import dashboards
from ..selectors import documents as doclist
from ..forms import AccountForm, LabelForm, MemberForm, ProjectSettingsForm
from ..models import Label, Membership
from ..errors import Refused
from ..roles import OVERSEERS, Role
from .access import project_page


@require_GET
def project_list(request):
    return render(request, "annotator/project_list.html", {"projects": selectors.projects_for(request.user)})


@require_GET
@project_page()
def project_detail(request, *, project, role):
    """A project's overview: progress, documents by state (overseers) and the way to the document list."""
    overseer = role in OVERSEERS
    return render(
        request,
        "annotator/project_detail.html",
        {
            "project": project,
            "role": role,
            "overseer": overseer,
            "progress": dashboards.progress_of(project, request.user),
            "states": _state_rows(project) if overseer else None,
            "extractor": selectors.latest_extractor(project),
            "labels": selectors.labels_of(project),
            "can_manage": role == Role.MANAGER,
        },
    )


@require_GET
@project_page(*OVERSEERS)
def dashboard(request, *, project, role):
    return render(request, "annotator/dashboard.html", {"project": project, "board": dashboards.dashboard(project)})


def _state_rows(project):
    """(state, its name, documents) for the project page, counted by grouped queries."""
    counts = dashboards.state_counts(project)
    return [(key, states.LABELS[key], counts[key]) for key in states.ORDER]


@require_GET
@project_page()
def step_document(request, pk, direction, *, project, role):
    """Previous / next document in the list the user came from (`?in=review`: the review list, overseers only)."""
    document = selectors.document_in(project, pk)
    among = "review" if request.GET.get("in") == "review" else "documents"
    if among == "review" and role not in OVERSEERS:
        raise PermissionDenied("Only managers and reviewers see the review list.")
    query = listing.parse(request.GET, states=states.ORDER)
    target = doclist.adjacent(project, request.user, role, document, direction, query, among=among)
    if target is None:
        where = "review list" if among == "review" else "list"
        messages.info(request, f"This is the {'last' if direction > 0 else 'first'} document of the {where}.")
        target = document
    # The list's query string goes along, so the next step walks the same filtered, sorted list.
    target_url = reverse("review" if among == "review" else "annotate", args=[project.slug, target.pk])
    return redirect(target_url + query.url(after=None, before=None))


@require_http_methods(["GET", "POST"])
@project_page(Role.MANAGER)
def settings_page(request, *, project, role):
    form = ProjectSettingsForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        if {"work_order", "random_seed"} & set(form.changed_data):
            services.reset_work_order(project)
        messages.success(request, "Settings saved.")
        return redirect("project_settings", slug=project.slug)
    status = 422 if request.method == "POST" else 200
    return render(request, "annotator/settings.html", _settings_context(project, form=form), status=status)


def _settings_context(project, **forms):
    labels = selectors.labels_of(project)
    editing = forms.pop("editing", None)  # a label form with errors, shown open in its row
    for label in labels:
        label.form = editing if editing is not None and editing.instance.pk == label.pk else LabelForm(
            instance=label, project=project, prefix=f"label-{label.pk}"
        )
    context = {
        "project": project,
        "form": ProjectSettingsForm(instance=project),
        "label_form": LabelForm(project=project),
        "member_form": MemberForm(),
        "account_form": AccountForm(),
        "labels": labels,
        "members": project.memberships.select_related("user").order_by("user__username"),
        "roles": Membership.Role.choices,
    }
    context.update(forms)
    return context


@require_POST
@project_page(Role.MANAGER)
def label_save(request, label_id=None, *, project, role):
    label = get_object_or_404(Label, pk=label_id, project=project) if label_id else None
    old_name = label.name if label else None
    form = LabelForm(request.POST, instance=label, project=project, prefix=f"label-{label_id}" if label_id else None)
    if form.is_valid():
        form.save()
        if old_name and old_name != form.instance.name:
            messages.success(request, f"Label {old_name} renamed {form.instance.name}: its spans follow.")
        else:
            messages.success(request, f"Label {form.instance.name} saved.")
        return redirect("project_settings", slug=project.slug)
    forms = {"editing": form} if label else {"label_form": form}
    return render(request, "annotator/settings.html", _settings_context(project, **forms), status=422)


@require_POST
@project_page(Role.MANAGER)
def label_delete(request, label_id, *, project, role):
    label = get_object_or_404(Label, pk=label_id, project=project)
    try:
        services.delete_label(label)
        messages.success(request, f"Label {label.name} deleted.")
    except Refused as error:
        messages.error(request, str(error))
    return redirect("project_settings", slug=project.slug)


@require_POST
@project_page(Role.MANAGER)
def member_save(request, *, project, role):
    form = MemberForm(request.POST)
    if form.is_valid():
        services.add_member(project, form.cleaned_data["user"], form.cleaned_data["role"])
        messages.success(request, f"{form.cleaned_data['username']} is now {form.cleaned_data['role']}.")
        return redirect("project_settings", slug=project.slug)
    return render(request, "annotator/settings.html", _settings_context(project, member_form=form), status=422)


@require_POST
@project_page(Role.MANAGER)
def account_create(request, *, project, role):
    """A manager makes a new user account (temporary password, Django's validators) and adds it with a role."""
    form = AccountForm(request.POST)
    if form.is_valid():
        user = form.save()
        services.add_member(project, user, form.cleaned_data["role"])
        messages.success(
            request,
            f"Account {user.username} made and added as {form.cleaned_data['role']}. "
            "Give them the temporary password; they can log in at once.",
        )
        return redirect("project_settings", slug=project.slug)
    return render(request, "annotator/settings.html", _settings_context(project, account_form=form), status=422)


@require_POST
@project_page(Role.MANAGER)
def member_remove(request, member_id, *, project, role):
    membership = get_object_or_404(Membership, pk=member_id, project=project)
    if membership.user == request.user:
        messages.error(request, "You cannot remove yourself; ask another manager.")
    else:
        services.remove_member(project, membership.user)
        messages.success(request, f"{membership.user.username} removed from the project.")
    return redirect("project_settings", slug=project.slug)
