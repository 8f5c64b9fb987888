"""What a simple command does, for the Dockerfile checks: package installs and servers.

Every function takes a ``_shell.Command`` (program and words, quotes removed).
"""

from __future__ import annotations

import re

from ._shell import Command

_PIP_RE = re.compile(r"^pip[0-9.]*$")
_PYTHON_RE = re.compile(r"^python[0-9.]*$")
# What `pip install` puts in place that is a tool, not the project's dependencies.
_PACKAGING_TOOLS = {"pip", "setuptools", "wheel", "uv", "poetry", "pipenv", "pip-tools", "virtualenv"}


def pip_program(command: Command) -> bool:
    """Whether the command's program is pip itself (``pip3``), not ``python -m pip``."""
    return bool(_PIP_RE.match(command.program))


def pip_subcommand(command: Command) -> str | None:
    """``install`` for ``pip install``, ``python3 -m pip install``...; None when not pip."""
    words = command.words
    if _PIP_RE.match(command.program):
        return command.first_argument(1)
    if _PYTHON_RE.match(command.program) and words[1:3] == ("-m", "pip"):
        return command.first_argument(3)
    return None


def is_apt_install(command: Command) -> bool:
    return command.program in ("apt-get", "apt") and "install" in command.words[1:]


_INFO_FLAGS = {"--version", "-v", "--help", "-h"}


def node_install(command: Command) -> tuple[bool, bool] | None:
    """For a node package manager install: (is it a dependency install, is it locked).

    None when the command installs no node packages (``npm run build``, ``yarn global add``,
    ``npm install -g serve`` only installs a tool)."""
    program, words = command.program, command.words
    if program not in ("npm", "yarn", "pnpm", "bun"):
        return None
    if "-g" in words or "--global" in words:
        return None
    sub = command.first_argument(1)
    if program == "npm":
        if sub == "ci":
            return True, True
        if sub in ("install", "i", "add"):
            return True, False
        return None
    if program == "yarn":
        if sub is None and _INFO_FLAGS & set(words):
            return None  # yarn --version, yarn --help
        if sub in (None, "install"):
            return True, "--frozen-lockfile" in words or "--immutable" in words
        if sub == "add":
            return True, False
        return None
    if sub in ("install", "i"):
        return True, "--frozen-lockfile" in words
    if sub == "fetch" and program == "pnpm":
        return True, True  # pnpm fetch reads only the lockfile
    if sub == "add":
        return True, False
    return None


def installs_dependencies(command: Command) -> bool:
    """Installs the project's dependencies (what layer order must keep before the source)."""
    program, words = command.program, command.words
    sub = command.first_argument(1)
    pip = pip_subcommand(command)
    if pip in ("install", "wheel", "download"):
        return not _only_packaging_tools(command)
    if node_install(command) is not None:
        return True
    simple = {
        "poetry": {"install"},
        "pipenv": {"install", "sync"},
        "pdm": {"install", "sync"},
        "uv": {"sync"},
        "bundle": {"install"},
        "composer": {"install"},
        "cargo": {"fetch"},
    }
    if (program in simple and sub in simple[program]) or program == "pip-sync":
        return True
    if program == "uv" and words[1:3] in (("pip", "install"), ("pip", "sync")):
        return True
    if program == "go" and words[1:3] == ("mod", "download"):
        return True
    if program in ("mvn", "mvnw", "./mvnw") and any(w.startswith("dependency:") for w in words):
        return True
    return program in ("gradle", "gradlew", "./gradlew") and "dependencies" in words


def _only_packaging_tools(command: Command) -> bool:
    """``pip install --upgrade pip setuptools`` installs tools, not the project's dependencies."""
    words = command.words
    if any(w in ("-r", "--requirement", "-e", "--editable", "-c", "--constraint") for w in words):
        return False
    subcommand = words.index(pip_subcommand(command), 1)
    packages = [w for w in words[subcommand + 1 :] if not w.startswith("-")]
    names = {re.split(r"[<>=~!\[]", w, maxsplit=1)[0].lower() for w in packages}
    return bool(names) and names <= _PACKAGING_TOOLS


# package.json scripts that, by convention, start a development server.
_DEV_SCRIPTS = {"dev", "serve", "start:dev", "watch", "develop"}


def development_server(command: Command) -> str | None:
    """What development server the command starts, or None."""
    program, words = command.program, command.words
    if "runserver" in words:
        return "manage.py runserver (Django's development server)"
    if any(w == "--reload" or w.startswith("--reload=") for w in words[1:]):
        return f"{program} --reload (auto-reload is for development)"
    if (program == "flask" and "run" in words) or words[1:4] == ("-m", "flask", "run"):
        return "flask run (Flask's development server)"
    if program in ("npm", "yarn", "pnpm", "bun"):
        first = command.first_argument(1)
        script = command.first_argument(2) if first == "run" else first
        if script in _DEV_SCRIPTS:
            return f"{program} {'run ' if first == 'run' else ''}{script} (a development script)"
    dev_programs = {
        "nodemon": "nodemon (restarts on change)",
        "webpack-dev-server": "webpack-dev-server",
        "ts-node-dev": "ts-node-dev",
    }
    if program in dev_programs:
        return dev_programs[program]
    pairs = {
        ("ng", "serve"): "ng serve (Angular's development server)",
        ("next", "dev"): "next dev (Next.js development server)",
        ("react-scripts", "start"): "react-scripts start (create-react-app's development server)",
        ("webpack", "serve"): "webpack serve",
        ("vue-cli-service", "serve"): "vue-cli-service serve",
        ("go", "run"): "go run (compiles on every start)",
    }
    if (program, command.first_argument(1)) in pairs:
        return pairs[(program, command.first_argument(1))]
    if program == "vite" and command.first_argument(1) not in ("build", "preview"):
        return "vite (Vite's development server)"
    if program == "php" and words[1:3] == ("artisan", "serve"):
        return "php artisan serve"
    if _PYTHON_RE.match(program) and words[1:3] == ("-m", "http.server"):
        return "python -m http.server"
    if program in ("mvn", "./mvnw", "mvnw") and "spring-boot:run" in words:
        return "mvn spring-boot:run"
    return None


def python_script(command: Command) -> str | None:
    """The script ``python app.py`` runs (None for ``-m`` modules and manage.py)."""
    if not _PYTHON_RE.match(command.program):
        return None
    script = command.first_argument(1)
    if script and script.endswith(".py") and not script.endswith("manage.py"):
        return script
    return None


def npm_start(command: Command) -> bool:
    """``npm start`` / ``npm run start`` / ``yarn start``: what it runs is in package.json."""
    if command.program not in ("npm", "yarn", "pnpm"):
        return False
    first = command.first_argument(1)
    return first == "start" or (first == "run" and command.first_argument(2) == "start")
