"""Refusing repository URLs before git ever sees them.

git accepts far more than a web form should pass on: ``--upload-pack=...`` read as an option,
``ext::<command>`` transports that run programs, ``file://`` and local paths that read the worker's
disk, credentials embedded in URLs, and hosts inside the private network. Everything here is
refused with a message the user can act on; only plain https (plus what an administrator enables)
goes through.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit

from .errors import HostNotAllowed, RepoURLError
from .hosts import JudgeHost, default_judge_host

MAX_URL_LENGTH = 2048
DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22}
ONLY_HTTPS = "Only https:// repository URLs are accepted"

# "<transport>::<address>" makes git run git-remote-<transport> (ext:: runs any command).
_TRANSPORT_FORM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.-]*::")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SSH_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")
# No trailing dot: the pinned address must be keyed by exactly the name curl looks up.
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


@dataclass(frozen=True)
class ValidatedURL:
    """A URL that passed every rule; ``addresses`` are the judged addresses git is pinned to."""

    url: str
    scheme: str
    host: str
    port: int | None
    addresses: tuple[str, ...] = ()

    def curl_resolve(self) -> str | None:
        """``http.curloptResolve`` value pinning the host to the judged addresses (http(s) only)."""
        if self.scheme not in ("https", "http") or not self.addresses:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        pinned = ",".join(f"[{a}]" if ":" in a else a for a in self.addresses)
        return f"{host}:{self.port}:{pinned}"


def validate_repo_url(
    url: str,
    *,
    allow_local: bool,
    allow_ssh: bool = False,
    allow_http_hosts: Collection[str] = (),
    judge_host: JudgeHost | None = None,
) -> ValidatedURL:
    """Check ``url`` and judge its host, raising RepoURLError with a readable message.

    ``allow_http_hosts`` is an administrator's list of ``host`` or ``host:port`` entries that may
    be reached over plain http (an internal git server; the tests' 127.0.0.1 server). Their
    addresses are still judged: a private address also needs an allow rule in the judge's policy.
    """
    _refuse_unsafe_text(url)
    if "://" not in url:
        return _local_path(url, allow_local=allow_local)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is what raises for a malformed one
    except ValueError:
        raise RepoURLError("The URL is not valid (check the host and port)") from None
    scheme = parts.scheme.lower()
    if scheme == "file":
        return _file_url(url, parts, allow_local=allow_local)
    if scheme == "ssh" and not allow_ssh:
        raise RepoURLError(f"{ONLY_HTTPS}; ssh:// is not enabled on this server")
    if scheme not in ("https", "http", "ssh"):
        raise RepoURLError(ONLY_HTTPS)
    host, port = _host_and_port(parts, scheme)
    if scheme == "http" and not _http_allowed(host, port, allow_http_hosts):
        raise RepoURLError(f"{ONLY_HTTPS}; plain http:// needs an administrator to allow the host")
    addresses = _judge(host, port, judge_host or default_judge_host)
    return ValidatedURL(url=url, scheme=scheme, host=host, port=port, addresses=addresses)


def _refuse_unsafe_text(url: object) -> None:
    if not isinstance(url, str) or not url:
        raise RepoURLError("Enter a repository URL")
    if len(url) > MAX_URL_LENGTH:
        raise RepoURLError(f"The URL is longer than {MAX_URL_LENGTH} characters")
    if url.startswith("-"):
        raise RepoURLError("A repository URL cannot start with '-'")
    if any(_is_space_or_control(ch) for ch in url):
        raise RepoURLError("The URL contains spaces or control characters")
    if any(_is_control(ch) for ch in unquote(url)):
        raise RepoURLError("The URL contains encoded control characters")
    if "?" in url or "#" in url:
        raise RepoURLError("The URL cannot contain '?' or '#'")
    if _TRANSPORT_FORM.match(url):
        raise RepoURLError(f"{ONLY_HTTPS}; 'transport::address' forms are not allowed")


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch).startswith("C")


def _is_space_or_control(ch: str) -> bool:
    return ch.isspace() or _is_control(ch) or unicodedata.category(ch) in ("Zs", "Zl", "Zp")


def _local_path(url: str, *, allow_local: bool) -> ValidatedURL:
    if not allow_local:
        if re.match(r"^[^/]+@[^/]+:", url):
            raise RepoURLError(f"{ONLY_HTTPS}; write https://host/owner/repo instead of user@host:path")
        raise RepoURLError(ONLY_HTTPS)
    if not url.startswith("/"):
        raise RepoURLError("A local repository must be given as an absolute path")
    # file:// makes git use its transport (which honours --depth and --filter) rather than
    # copying or hard-linking the source object store.
    return ValidatedURL(url=f"file://{url}", scheme="file", host="", port=None)


def _file_url(url: str, parts: SplitResult, *, allow_local: bool) -> ValidatedURL:
    if not allow_local:
        raise RepoURLError(f"{ONLY_HTTPS}; file:// is not enabled on this server")
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        raise RepoURLError("A file:// URL must name an absolute path on this machine")
    return ValidatedURL(url=url, scheme="file", host="", port=None)


def _host_and_port(parts: SplitResult, scheme: str) -> tuple[str, int]:
    if parts.password is not None:
        raise RepoURLError("Do not put a password or token in the URL; enter the token in its own field")
    if parts.username is not None and scheme != "ssh":
        raise RepoURLError("Remove the user name from the URL; enter an access token in its own field")
    if parts.username is not None and not _SSH_USER.match(parts.username):
        # ssh would read "-oProxyCommand=..." as an option.
        raise RepoURLError("The ssh user name is not valid")
    host = parts.hostname or ""
    if not host:
        raise RepoURLError("The URL has no host")
    if "%" in host:  # an IPv6 zone id or an encoded name: neither names a repository host
        raise RepoURLError("The URL's host is not valid")
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise RepoURLError("The URL's host is not valid") from None
    elif not _HOSTNAME.match(host):
        raise RepoURLError("The URL's host is not valid")
    port = parts.port
    if port == 0 or parts.netloc.lower() != _rebuilt_netloc(parts, host, port):
        # What we judge must be exactly what curl connects to: "[::1]x", ":0443" and other odd
        # forms that parsers read differently are refused rather than interpreted.
        raise RepoURLError("The URL's host or port is not valid")
    if parts.path in ("", "/"):
        raise RepoURLError("The URL has no repository path")
    return host, port if port is not None else DEFAULT_PORTS[scheme]


def _rebuilt_netloc(parts: SplitResult, host: str, port: int | None) -> str:
    user = f"{parts.username}@".lower() if parts.username is not None else ""
    bracketed = f"[{host}]" if ":" in host else host
    return f"{user}{bracketed}" + (f":{port}" if port is not None else "")


def _http_allowed(host: str, port: int, allow_http_hosts: Collection[str]) -> bool:
    for entry in allow_http_hosts:
        entry_host, entry_port = _split_entry(entry.strip().lower())
        if entry_host == host and entry_port in (None, port):
            return True
    return False


def _split_entry(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        host, _, rest = entry[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else None
    host, sep, port = entry.rpartition(":")
    if sep and host and ":" not in host and port.isdigit():
        return host, int(port)
    return entry, None


def _judge(host: str, port: int, judge_host: JudgeHost) -> tuple[str, ...]:
    try:
        addresses = judge_host(host, port)
    except HostNotAllowed as exc:
        raise RepoURLError(f"host not allowed: {exc.reason}", kind="host_not_allowed") from None
    except OSError:
        raise RepoURLError(f"Could not resolve the host {host}", kind="not_found") from None
    if not addresses:
        raise RepoURLError(f"Could not resolve the host {host}", kind="not_found")
    return tuple(str(a) for a in addresses)
