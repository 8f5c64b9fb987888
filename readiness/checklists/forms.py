from django import forms

from readiness.checklists.status import LEVELS


class AttestForm(forms.Form):
    checked = forms.BooleanField(required=False)
    evidence_url = forms.URLField(required=False, max_length=1000, assume_scheme="https")
    note = forms.CharField(required=False, max_length=500)


class WaiverForm(forms.Form):
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    expires_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class NoteForm(forms.Form):
    text = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 2}), label="Note")


class ImportForm(forms.Form):
    title = forms.CharField(max_length=200)
    markdown = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        label="Markdown checklist",
        help_text="Headings (## Security) make categories; task lines (- [ ] item, - ✅ item) make items.",
    )


class BindForm(forms.Form):
    checks = forms.MultipleChoiceField(required=False, widget=forms.SelectMultiple(attrs={"size": 6}))
    combine = forms.ChoiceField(
        choices=[("all", "all must pass (worst counts)"), ("any", "any may pass (best counts)")]
    )
    level = forms.ChoiceField(choices=[(level, level.title()) for level in LEVELS])

    def __init__(self, *args, check_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checks"].choices = [(c, c) for c in check_ids]
