import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from readiness.repos.models import AnalysisRun, Repository
from readiness.teams.models import Membership, Role, Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.ENGINEER


class RepositoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Repository

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"service-{n}")
    slug = factory.LazyAttribute(lambda r: r.name)
    url = "/nonexistent"
    branch = "main"


class AnalysisRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnalysisRun

    repository = factory.SubFactory(RepositoryFactory)


# Checklists ------------------------------------------------------------------------------------


class CheckResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "repos.CheckResult"

    run = factory.SubFactory(AnalysisRunFactory)
    check_id = factory.Sequence(lambda n: f"dockerfile.check_{n}")
    category = "security"
    status = "pass"
    severity = "high"
    title = factory.LazyAttribute(lambda r: r.check_id)


class ChecklistTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "checklists.ChecklistTemplate"

    team = factory.SubFactory(TeamFactory)
    slug = factory.Sequence(lambda n: f"custom-{n}")
    title = factory.Sequence(lambda n: f"Custom checklist {n}")
    is_builtin = False


class TemplateItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "checklists.TemplateItem"

    template = factory.SubFactory(ChecklistTemplateFactory)
    category_id = "security"
    category_title = "Security"
    position = factory.Sequence(lambda n: n)
    key = factory.Sequence(lambda n: f"item-{n}")
    title = factory.Sequence(lambda n: f"Item {n}")
    level = "bronze"
    checks = factory.LazyAttribute(lambda i: [] if i.manual else ["dockerfile.non_root_user"])
    manual = False


# Health endpoints ------------------------------------------------------------------------------


class EndpointFactory(factory.django.DjangoModelFactory):
    """A row written directly, bypassing the guard check of endpoint_register."""

    class Meta:
        model = "endpoints.Endpoint"

    repository = factory.SubFactory(RepositoryFactory)
    name = factory.Sequence(lambda n: f"endpoint-{n}")
    url = "http://127.0.0.1:9/health"
    kind = "liveness"
    next_probe_at = factory.LazyFunction(timezone.now)
