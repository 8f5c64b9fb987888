from celery import shared_task

from readiness.teams import services


@shared_task(name="teams.prune_activity")
def prune_activity() -> int:
    return services.activity_prune()
