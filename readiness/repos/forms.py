from django import forms
from django.conf import settings

from readiness.repos.lifecycle import repository_name_taken
from readiness.repos.sourcing import local_path_of


def clean_repository_name(name: str, *, team, exclude_pk: int | None = None) -> str:
    """A repository name: not blank, and unique within the team whatever its case."""
    name = name.strip()
    if not name or any(ord(ch) < 32 for ch in name):
        raise forms.ValidationError("Give the repository a name.")
    if team is not None and repository_name_taken(team=team, name=name, exclude_pk=exclude_pk):
        raise forms.ValidationError(f"The team already has a repository named “{name}”.")
    return name


class RepositoryForm(forms.Form):
    name = forms.CharField(max_length=200)

    def __init__(self, *args, team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team  # names are unique within it

    def clean_name(self):
        return clean_repository_name(self.cleaned_data["name"], team=self.team)

    url = forms.CharField(
        label="Repository URL",
        max_length=2000,
        help_text="An https:// git URL (or a local folder where the administrator allows it).",
    )
    branch = forms.CharField(max_length=255, initial="main")

    def clean_url(self):
        url = self.cleaned_data["url"].strip()
        if any(ch.isspace() or ord(ch) < 32 for ch in url) or url.startswith("-"):
            raise forms.ValidationError("The URL may not contain spaces or control characters.")
        if local_path_of(url) is not None:
            if not settings.READINESS_ALLOW_LOCAL_SOURCES:
                raise forms.ValidationError("Local folders are not allowed on this server.")
        elif not url.startswith("https://"):
            raise forms.ValidationError("Only https:// repository URLs are accepted.")
        return url

    def clean_branch(self):
        branch = self.cleaned_data["branch"].strip()
        if branch.startswith("-") or any(ch.isspace() or ord(ch) < 32 for ch in branch):
            raise forms.ValidationError("That is not a valid branch name.")
        return branch


class SourceForm(RepositoryForm):
    name = None  # the name is not part of the source
    subfolder = forms.CharField(
        max_length=500, required=False, help_text="Analyse only this folder of the repository (optional)."
    )

    def clean_subfolder(self):
        folder = self.cleaned_data["subfolder"].strip().strip("/")
        if folder and (".." in folder.split("/") or any(ord(ch) < 32 for ch in folder)):
            raise forms.ValidationError("The folder must be a path inside the repository.")
        return folder


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Access token",
        required=False,
        max_length=1000,
        widget=forms.PasswordInput(render_value=False),
        help_text="A read-only token for private repositories. Stored encrypted and never shown again; "
        "leave empty and save to remove it.",
    )


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Analyze on a schedule")
    hour = forms.IntegerField(min_value=0, max_value=23, initial=3, label="Hour (UTC)")
    minute = forms.IntegerField(min_value=0, max_value=59, initial=0)
    day_of_week = forms.ChoiceField(
        choices=[("*", "Every day"), ("1-5", "Weekdays")]
        + [
            (str(i), d)
            for i, d in enumerate(
                ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
            )
        ],
        initial="*",
    )


class RenameForm(forms.Form):
    name = forms.CharField(max_length=200, label="New name")

    def __init__(self, *args, repository, **kwargs):
        super().__init__(*args, **kwargs)
        self.repository = repository

    def clean_name(self):
        return clean_repository_name(
            self.cleaned_data["name"], team=self.repository.team, exclude_pk=self.repository.pk
        )


class DeleteForm(forms.Form):
    """Deleting asks for the repository's name, typed: a slip of the mouse deletes nothing."""

    confirm_name = forms.CharField(max_length=200, label="Type the repository's name to confirm")

    def __init__(self, *args, repository, **kwargs):
        super().__init__(*args, **kwargs)
        self.repository = repository

    def clean_confirm_name(self):
        typed = self.cleaned_data["confirm_name"].strip()
        if typed != self.repository.name:
            raise forms.ValidationError(f"Type “{self.repository.name}” exactly to delete it.")
        return typed
