"""The one error type of the checklist services."""


class ChecklistError(ValueError):
    """A request that cannot be carried out; the message is for the user."""
