"""Project pages: the list, a project's documents, its progress dashboard and its settings."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import selectors, services
from ..forms import AccountForm, LabelForm, MemberForm, ProjectSettingsForm
from ..models import Label, Membership

MANAGER = Membership.Role.MANAGER
REVIEWER = Membership.Role.REVIEWER


@require_GET
def project_list(request):
    return render(request, "annotator/project_list.html", {"projects": selectors.projects_for(request.user)})


@require_GET
def project_detail(request, slug):
    """The documents of a project: all of them with their state for managers and reviewers,
    only their own for annotators (who work blind and never see the gold)."""
    project = selectors.project_for(request.user, slug)
    role = selectors.role_of(request.user, project)
    overseer = role in (MANAGER, REVIEWER)
    rows = selectors.document_rows(project, request.user, everyone=overseer)
    return render(
        request,
        "annotator/project_detail.html",
        {
            "project": project,
            "role": role,
            "overseer": overseer,
            "rows": rows,
            "progress": selectors.progress_of(project, request.user),
            "extractor": selectors.latest_extractor(project),
            "labels": selectors.labels_of(project),
            "can_manage": role == MANAGER,
        },
    )


@require_GET
def dashboard(request, slug):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, MANAGER, REVIEWER)
    return render(request, "annotator/dashboard.html", {"project": project, "board": selectors.dashboard(project)})


@require_GET
def step_document(request, slug, pk, direction):
    """Previous / next document in the list the user came from (`?in=review`: the review list)."""
    project = selectors.project_for(request.user, slug)
    document = selectors.document_in(project, pk)
    among = "review" if request.GET.get("in") == "review" else "documents"
    if among == "review":
        selectors.ensure_role(request.user, project, MANAGER, REVIEWER)
    target = selectors.adjacent_document(document, request.user, direction, among=among)
    if target is None:
        where = "review list" if among == "review" else "list"
        messages.info(request, f"This is the {'last' if direction > 0 else 'first'} document of the {where}.")
        target = document
    return redirect("review" if among == "review" else "annotate", slug=project.slug, pk=target.pk)


@require_http_methods(["GET", "POST"])
def settings_page(request, slug):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, MANAGER)
    form = ProjectSettingsForm(request.POST or None, instance=project)
    if request.method == "POST" and form.is_valid():
        form.save()
        if {"work_order", "random_seed"} & set(form.changed_data):
            services.reset_work_order(project)
        messages.success(request, "Settings saved.")
        return redirect("project_settings", slug=slug)
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
def label_save(request, slug, label_id=None):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, MANAGER)
    label = get_object_or_404(Label, pk=label_id, project=project) if label_id else None
    old_name = label.name if label else None
    form = LabelForm(request.POST, instance=label, project=project, prefix=f"label-{label_id}" if label_id else None)
    if form.is_valid():
        form.save()
        if old_name and old_name != form.instance.name:
            messages.success(request, f"Label {old_name} renamed {form.instance.name}: its spans follow.")
        else:
            messages.success(request, f"Label {form.instance.name} saved.")
        return redirect("project_settings", slug=slug)
    forms = {"editing": form} if label else {"label_form": form}
    return render(request, "annotator/settings.html", _settings_context(project, **forms), status=422)


@require_POST
def label_delete(request, slug, label_id):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, MANAGER)
    label = get_object_or_404(Label, pk=label_id, project=project)
    try:
        services.delete_label(label)
        messages.success(request, f"Label {label.name} deleted.")
    except ValueError as error:
        messages.error(request, str(error))
    return redirect("project_settings", slug=slug)


@require_POST
def member_save(request, slug):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, MANAGER)
    form = MemberForm(request.POST)
    if form.is_valid():
        services.add_member(project, form.cleaned_data["user"], form.cleaned_data["role"])
        messages.success(request, f"{form.cleaned_data['username']} is now {form.cleaned_data['role']}.")
        return redirect("project_settings", slug=slug)
    return render(request, "annotator/settings.html", _settings_context(project, member_form=form), status=422)


@require_POST
def account_create(request, slug):
    """A manager makes a new user account (temporary password, Django's validators) and adds it with a role."""
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, MANAGER)
    form = AccountForm(request.POST)
    if form.is_valid():
        user = form.save()
        services.add_member(project, user, form.cleaned_data["role"])
        messages.success(
            request,
            f"Account {user.username} made and added as {form.cleaned_data['role']}. "
            "Give them the temporary password; they can log in at once.",
        )
        return redirect("project_settings", slug=slug)
    return render(request, "annotator/settings.html", _settings_context(project, account_form=form), status=422)


@require_POST
def member_remove(request, slug, member_id):
    project = selectors.project_for(request.user, slug)
    selectors.ensure_role(request.user, project, MANAGER)
    membership = get_object_or_404(Membership, pk=member_id, project=project)
    if membership.user == request.user:
        messages.error(request, "You cannot remove yourself; ask another manager.")
    else:
        services.remove_member(project, membership.user)
        messages.success(request, f"{membership.user.username} removed from the project.")
    return redirect("project_settings", slug=slug)
