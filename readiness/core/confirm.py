"""Confirmation pages for destructive actions: the GET of the action's URL names what will go."""

from __future__ import annotations

from django.shortcuts import render


def confirmation(
    request, *, title: str, question: str, button: str, cancel: str, details=(), fields=(), status=200
):
    """Render templates/confirm.html; its form POSTs back to this URL (hidden ``fields`` kept)."""
    context = {
        "confirm": {
            "title": title,
            "question": question,
            "details": list(details),
            "button": button,
            "cancel": cancel,
            "action": request.get_full_path(),
            "fields": list(fields),
        }
    }
    return render(request, "confirm.html", context, status=status)
