"""The shell splitter behind the RUN/CMD checks, and the command classifiers on top of it."""

import pytest

from readiness.engine.checks import _commands
from readiness.engine.checks._shell import MAX_COMMANDS, commands, commands_of_argv


def words(script: str) -> list[tuple[str, ...]]:
    return [command.words for command in commands(script)]


def test_separators_quotes_and_comments():
    script = 'apt-get update && apt-get install -y \'a b\' "c\\"d" || true; echo x | tee y # note\nls\\\n -l'
    assert words(script) == [
        ("apt-get", "update"),
        ("apt-get", "install", "-y", "a b", 'c"d'),
        ("true",),
        ("echo", "x"),
        ("tee", "y"),
        ("ls", "-l"),
    ]


def test_assignments_and_wrappers_are_stripped_and_kept_as_env():
    (command,) = commands("DEBIAN_FRONTEND=noninteractive sudo -E /usr/bin/pip3 install x")
    assert command.program == "pip3"
    assert command.env == {"DEBIAN_FRONTEND": "noninteractive"}


def test_sh_c_is_looked_into():
    found = commands_of_argv(["/bin/sh", "-c", "cd /app && exec gunicorn app:app --reload"])
    assert [c.words for c in found][1:] == [("cd", "/app"), ("gunicorn", "app:app", "--reload")]


def test_the_number_of_commands_is_capped():
    assert len(commands("true;" * (MAX_COMMANDS + 50))) == MAX_COMMANDS


@pytest.mark.parametrize(
    ("script", "subcommand"),
    [("pip install x", "install"), ("python3.12 -m pip wheel .", "wheel"), ("uv pip install x", None)],
)
def test_pip_subcommand(script, subcommand):
    assert _commands.pip_subcommand(commands(script)[0]) == subcommand


@pytest.mark.parametrize(
    ("script", "installs"),
    [
        ("pip install --upgrade pip setuptools", False),
        ("pip install -r requirements.txt", True),
        ("npm install -g serve", False),
        ("go mod download", True),
        ("npm run build", False),
        ("bundle install", True),
    ],
)
def test_dependency_installs(script, installs):
    assert _commands.installs_dependencies(commands(script)[0]) is installs


@pytest.mark.parametrize(
    ("script", "is_dev"),
    [
        ("python manage.py runserver 0.0.0.0:8000", True),
        ("flask run --host 0.0.0.0", True),
        ("python -m flask run", True),
        ("npm run dev", True),
        ("yarn dev", True),
        ("vite", True),
        ("vite preview", False),
        ("gunicorn -w 3 app:app", False),
        ("uvicorn app:app --host 0.0.0.0", False),
        ("node dist/server.js", False),
        ("nginx -g 'daemon off;'", False),
    ],
)
def test_development_servers(script, is_dev):
    assert (_commands.development_server(commands(script)[0]) is not None) is is_dev
