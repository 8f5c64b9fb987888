from django import forms
from django.conf import settings

from readiness.repos.sourcing import local_path_of


class RepositoryForm(forms.Form):
    name = forms.CharField(max_length=200)
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
