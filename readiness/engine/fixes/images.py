"""What an image has inside, as far as a fix needs to know: its OS family, shell, HTTP client,
language runtime and datastore, from the image reference alone (no network, no pulling).

Unknown images give ``None`` answers, and a builder that needs the answer offers no edit: a fix
that adds ``curl`` to an image without curl would turn a failing check into a failing container.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..compose_roles import image_repository, image_tag

ALPINE, DEBIAN, UBUNTU, RHEL, DISTROLESS, SCRATCH = (
    "alpine",
    "debian",
    "ubuntu",
    "rhel",
    "distroless",
    "scratch",
)

# Official images built on Debian (their -slim variants too) unless the tag says alpine.
_DEBIAN_IMAGES = {
    "python", "node", "golang", "ruby", "php", "perl", "rust", "nginx", "httpd", "postgres", "postgis",
    "redis", "valkey", "memcached", "debian", "buildpack-deps", "elixir", "erlang",
    "haskell", "julia", "r-base", "gcc", "tomcat", "wordpress", "drupal", "ghost", "odoo",
}  # fmt: skip
_UBUNTU_IMAGES = {"ubuntu", "eclipse-temurin", "ibm-semeru-runtimes", "sapmachine", "mongo", "rabbitmq"}
_RHEL_IMAGES = {
    "fedora", "centos", "rockylinux", "almalinux", "amazonlinux", "oraclelinux", "ubi", "ubi8", "ubi9",
    "ubi-minimal", "ubi8-minimal", "ubi9-minimal", "mysql",
}  # fmt: skip
_ALPINE_IMAGES = {"alpine", "busybox", "traefik", "caddy"}
# Full (not -slim) Debian variants of these are built on buildpack-deps, which ships curl and wget.
_BUILDPACK_IMAGES = {"python", "node", "golang", "ruby", "rust", "buildpack-deps", "perl", "gcc"}
# Images whose Debian variant installs curl for itself.
_CURL_IMAGES = {"nginx"}
_RUNTIMES = {"python": "python", "pypy": "python", "node": "node"}
_DATASTORES = ("postgres", "postgis", "redis", "valkey", "keydb", "mysql", "mariadb", "mongo", "rabbitmq")


@dataclass(frozen=True)
class ImageFacts:
    reference: str
    name: str  # last path component of the repository, lower case ("postgresql" for bitnami/postgresql)
    tag: str | None
    family: str | None  # ALPINE, DEBIAN, UBUNTU, RHEL, DISTROLESS, SCRATCH, or None when unknown
    http: str | None  # "curl", "wget" or None: the HTTP client a healthcheck can use
    runtime: str | None  # "python" or "node": a language that can make the request itself
    datastore: str | None  # postgres, redis, valkey, keydb, mysql, mariadb, mongo, rabbitmq

    @property
    def shell(self) -> str | None:
        """The shell RUN uses that understands ``-o pipefail``, or None (no shell, or unknown)."""
        if self.family == ALPINE:
            return "/bin/ash"
        if self.family in (DEBIAN, UBUNTU, RHEL):
            return "/bin/bash"
        return None

    @property
    def has_shell(self) -> bool:
        return self.family in (ALPINE, DEBIAN, UBUNTU, RHEL)

    def with_tools(self, tools: set[str]) -> ImageFacts:
        """The facts once a Dockerfile installed ``tools`` (``curl``, ``wget``) into the image."""
        if self.http is None and "curl" in tools:
            return replace(self, http="curl")
        if self.http is None and "wget" in tools:
            return replace(self, http="wget")
        return self


def image_facts(reference: str) -> ImageFacts:
    reference = reference.strip()
    repository = image_repository(reference).lower()
    tag = image_tag(reference)
    name = repository.rsplit("/", 1)[-1]
    tag_lower = (tag or "").lower()
    family = _family(repository, name, tag_lower)
    http = None
    if family == ALPINE:
        http = "wget"  # busybox wget
    elif _has_curl(family, name, tag_lower):
        http = "curl"
    runtime = _RUNTIMES.get(name) if family not in (DISTROLESS, SCRATCH) else None
    return ImageFacts(reference, name, tag, family, http, runtime, _datastore(name))


def _has_curl(family: str | None, name: str, tag: str) -> bool:
    if family == RHEL:
        return "minimal" not in name and name != "mysql"
    return family == DEBIAN and not _slim(tag) and (name in _BUILDPACK_IMAGES or name in _CURL_IMAGES)


def _slim(tag: str) -> bool:
    return "slim" in tag or "minimal" in tag


def _family(repository: str, name: str, tag: str) -> str | None:
    if repository == "scratch":
        return SCRATCH
    if "distroless" in repository or repository.startswith("cgr.dev/"):
        return DISTROLESS
    if "alpine" in tag or name in _ALPINE_IMAGES or "alpine" in name:
        return ALPINE
    if "windowsservercore" in tag or "nanoserver" in tag:
        return None
    official = "/" not in repository or repository.startswith(("docker.io/library/", "library/"))
    if name in _RHEL_IMAGES and (official or "redhat" in repository or "ubi" in name):
        return RHEL
    if not official:
        return None
    if name in _UBUNTU_IMAGES or any(word in tag for word in ("jammy", "noble", "focal")):
        return UBUNTU
    if name in _DEBIAN_IMAGES:
        return DEBIAN
    return None


def _datastore(name: str) -> str | None:
    for kind in _DATASTORES:
        if name == kind or name in (kind + "ql", kind + "db") or name.endswith("-" + kind):
            return kind
    return None


def major_version(tag: str | None) -> int | None:
    """16 for ``16.4-alpine``; None for ``latest`` or no tag."""
    match = re.match(r"^v?(\d+)", tag or "")
    return int(match.group(1)) if match else None
