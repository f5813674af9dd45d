"""Forms of the manager's pages: project settings, labels, members, new accounts."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from .models import Label, Membership, Project


class ProjectSettingsForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = [
            "name",
            "description",
            "guidelines",
            "annotators_per_document",
            "review_single",
            "annotate_gold_documents",
            "submissions_replace_gold",
            "work_order",
            "random_seed",
            "claim_minutes",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2}), "guidelines": forms.Textarea(attrs={"rows": 6})}
        labels = {
            "name": "Project name",
            "description": "Description",
            "guidelines": "Guidelines",
            "annotators_per_document": "Annotators per document (k)",
            "work_order": "Order in which documents are handed out",
            "random_seed": "Seed of the random order",
            "claim_minutes": "Minutes before an untouched claimed document returns to the pool",
            "review_single": "Review single annotations (k = 1)",
            "annotate_gold_documents": "Annotate documents that have gold",
            "submissions_replace_gold": "Submissions replace gold (k = 1, no review)",
        }

    def clean_annotators_per_document(self):
        k = self.cleaned_data["annotators_per_document"]
        if not 1 <= k <= 10:
            raise forms.ValidationError("Between 1 and 10 annotators per document.")
        return k


class LabelForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["name", "color", "hotkey", "description", "order"]
        widgets = {"color": forms.TextInput(attrs={"type": "color"}), "description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "name": "Name",
            "color": "Colour",
            "hotkey": "Key (1–9)",
            "description": "Guideline shown to annotators",
            "order": "Position in the list",
        }
        help_texts = {"color": "", "name": "Renaming a label keeps its spans: they show the new name in every layer."}

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_name(self):
        name = self.cleaned_data["name"].strip().upper()
        if not name.replace("_", "").replace("-", "").isalnum():
            raise forms.ValidationError("Letters, digits, - and _ only.")
        clash = Label.objects.filter(project=self.project, name=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError(f"{name} exists already.")
        return name

    def clean_hotkey(self):
        key = self.cleaned_data["hotkey"]
        if key and key not in "123456789":
            raise forms.ValidationError("Hotkeys are the digits 1 to 9.")
        if key and Label.objects.filter(project=self.project, hotkey=key).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"Key {key} belongs to another label.")
        return key

    def save(self, commit=True):
        self.instance.project = self.project
        return super().save(commit)


def _roles():
    """Annotator first: it is the default and the least powerful choice."""
    order = [Membership.Role.ANNOTATOR, Membership.Role.REVIEWER, Membership.Role.MANAGER]
    return [(role.value, role.label) for role in order]


class MemberForm(forms.Form):
    username = forms.CharField(max_length=150, label="Username")
    role = forms.ChoiceField(choices=_roles, initial=Membership.Role.ANNOTATOR, label="Role")

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise forms.ValidationError(f"No user named {username!r}; create the account below first.")
        self.cleaned_data["user"] = user
        return username


class AccountForm(UserCreationForm):
    """A new user account, made by a project manager and added to the project with a role.

    The password is a temporary one the manager hands over; Django's password
    validators (settings.AUTH_PASSWORD_VALIDATORS) apply as everywhere.
    """

    role = forms.ChoiceField(choices=_roles, initial=Membership.Role.ANNOTATOR, label="Role in this project")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # At the bottom of the settings page: taking the focus would scroll the page down on every visit.
        self.fields["username"].widget.attrs.pop("autofocus", None)
