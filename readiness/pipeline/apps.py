from django.apps import AppConfig


class PipelineConfig(AppConfig):
    """Work that spans apps, in one visible place above repos, checklists and endpoints: what
    happens when a repository is registered and when an analysis runs. No models of its own."""

    name = "readiness.pipeline"
    label = "pipeline"

    def ready(self):
        # Register the analysis task in every Django process: the repos app enqueues it by name.
        from readiness.pipeline import tasks  # noqa: F401
