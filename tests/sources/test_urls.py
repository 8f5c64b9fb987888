"""What validate_repo_url, validate_branch and validate_subfolder refuse, and the messages users read."""

import ipaddress

import pytest

from readiness.sources import (
    HostNotAllowed,
    RepoURLError,
    validate_branch,
    validate_repo_url,
    validate_subfolder,
)

PUBLIC = ipaddress.ip_address("140.82.112.3")


def public_judge(host, port):
    return [PUBLIC]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://github.com/owner/repo.git", "Only https:// repository URLs are accepted"),
        ("git@github.com:owner/repo.git", "write https://host/owner/repo"),
        ("ssh://git@github.com/owner/repo.git", "ssh:// is not enabled"),
        ("ftp://github.com/owner/repo.git", "Only https://"),
        ("file:///srv/git/repo.git", "file:// is not enabled"),
        ("/srv/git/repo.git", "Only https://"),
        ("--upload-pack=touch x", "cannot start with '-'"),
        ("-oProxyCommand=touch", "cannot start with '-'"),
        ("ext::sh -c touch% /tmp/pwned", "spaces or control characters"),
        ("ext::sh", "'transport::address' forms are not allowed"),
        ("fd::17", "'transport::address' forms are not allowed"),
        ("https://github.com/owner/my repo", "spaces or control characters"),
        ("https://github.com/owner/repo\n", "spaces or control characters"),
        ("https://github.com/owner/repo\u00a0", "spaces or control characters"),
        ("https://github.com/owner/repo%0a", "encoded control characters"),
        ("https://user:secret@github.com/owner/repo.git", "enter the token in its own field"),
        ("https://ghp_token@github.com/owner/repo.git", "Remove the user name"),
        ("https:///owner/repo.git", "no host"),
        ("https://github.com", "no repository path"),
        ("https://github.com/", "no repository path"),
        ("https://github.com/owner/repo.git?x=1", "'?' or '#'"),
        ("https://github.com/owner/repo.git#main", "'?' or '#'"),
        ("https://github.com:99999/owner/repo.git", "not valid (check the host and port)"),
        ("https://github.com:0/owner/repo.git", "host or port is not valid"),
        ("https://github.com:0443/owner/repo.git", "host or port is not valid"),
        ("https://github.com:/owner/repo.git", "host or port is not valid"),
        ("https://[::1]x/owner/repo.git", "host or port is not valid"),
        ("https://[::1/owner/repo.git", "not valid (check the host and port)"),
        ("https://git_hub.com/owner/repo.git", "host is not valid"),
        ("https://-github.com/owner/repo.git", "host is not valid"),
        ("https://github.com./owner/repo.git", "host is not valid"),
        ("https://[fe80::1%25eth0]/owner/repo.git", "host is not valid"),
        ("", "Enter a repository URL"),
        ("https://github.com/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_refused_urls_name_the_problem(url, message):
    with pytest.raises(RepoURLError) as caught:
        validate_repo_url(url, allow_local=False, judge_host=public_judge)
    assert message in caught.value.user_message
    assert caught.value.kind == "invalid_url"


def test_https_url_is_accepted_and_pinned_to_the_judged_addresses():
    seen = []

    def judge(host, port):
        seen.append((host, port))
        return [PUBLIC]

    validated = validate_repo_url("https://GitHub.com/owner/repo.git", allow_local=False, judge_host=judge)
    assert seen == [("github.com", 443)]
    assert validated.url == "https://GitHub.com/owner/repo.git"
    assert (validated.scheme, validated.host, validated.port) == ("https", "github.com", 443)
    assert validated.curl_resolve() == "github.com:443:140.82.112.3"


def test_ipv6_addresses_are_bracketed_in_the_pin():
    def judge(host, port):
        return [ipaddress.ip_address("2606:50c0:8000::153"), PUBLIC]

    validated = validate_repo_url("https://git.example.com:8443/r.git", allow_local=False, judge_host=judge)
    assert validated.curl_resolve() == "git.example.com:8443:[2606:50c0:8000::153],140.82.112.3"


def test_private_address_is_refused_by_the_default_judge_with_a_readable_reason():
    with pytest.raises(RepoURLError) as caught:
        validate_repo_url("https://10.0.0.5/owner/repo.git", allow_local=False)
    assert caught.value.kind == "host_not_allowed"
    assert caught.value.user_message.startswith("host not allowed: address 10.0.0.5 is in a private range")
    assert "an administrator can allow it" in caught.value.user_message


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/r.git",
        "https://2130706433/r.git",  # 127.0.0.1 written as one number
        "https://[::1]/r.git",
        "https://169.254.169.254/r.git",
        "https://[::ffff:10.0.0.1]/r.git",
    ],
)
def test_loopback_metadata_and_disguised_private_addresses_are_refused(url):
    with pytest.raises(RepoURLError) as caught:
        validate_repo_url(url, allow_local=False)
    assert caught.value.kind == "host_not_allowed"


def test_judge_refusal_and_unresolvable_host_map_to_their_kinds():
    def refusing(host, port):
        raise HostNotAllowed("address 192.168.1.4 is in a private range; an administrator can allow it")

    def unresolvable(host, port):
        raise OSError("Name or service not known")

    with pytest.raises(RepoURLError) as refused:
        validate_repo_url("https://git.corp/r.git", allow_local=False, judge_host=refusing)
    assert refused.value.kind == "host_not_allowed"
    assert "192.168.1.4" in refused.value.user_message
    with pytest.raises(RepoURLError) as missing:
        validate_repo_url("https://nowhere.invalid/r.git", allow_local=False, judge_host=unresolvable)
    assert missing.value.kind == "not_found"
    assert "nowhere.invalid" in missing.value.user_message


def test_plain_http_needs_an_administrator_entry_for_that_host_and_port():
    url = "http://git.corp:8080/r.git"
    with pytest.raises(RepoURLError, match="plain http"):
        validate_repo_url(url, allow_local=False, allow_http_hosts=["git.corp:9090"], judge_host=public_judge)
    for entry in ("git.corp:8080", "GIT.corp", " git.corp "):
        validated = validate_repo_url(
            url, allow_local=False, allow_http_hosts=[entry], judge_host=public_judge
        )
        assert validated.scheme == "http"


def test_the_http_entry_does_not_bypass_the_address_judgement():
    with pytest.raises(RepoURLError) as caught:
        validate_repo_url(
            "http://127.0.0.1:8080/r.git", allow_local=False, allow_http_hosts=["127.0.0.1:8080"]
        )
    assert caught.value.kind == "host_not_allowed"


def test_ssh_when_allowed_keeps_the_user_and_is_judged():
    validated = validate_repo_url(
        "ssh://git@github.com/owner/repo.git", allow_local=False, allow_ssh=True, judge_host=public_judge
    )
    assert (validated.scheme, validated.port) == ("ssh", 22)
    assert validated.curl_resolve() is None


@pytest.mark.parametrize("user", ["-oProxyCommand=touch%20x", "a%2Fb", ""])
def test_ssh_user_names_that_could_be_options_are_refused(user):
    with pytest.raises(RepoURLError, match="ssh user name"):
        validate_repo_url(
            f"ssh://{user}@github.com/o/r.git", allow_local=False, allow_ssh=True, judge_host=public_judge
        )


def test_local_paths_and_file_urls_only_when_allowed():
    assert validate_repo_url("/srv/git/r.git", allow_local=True).url == "file:///srv/git/r.git"
    assert validate_repo_url("file:///srv/git/r.git", allow_local=True).scheme == "file"
    with pytest.raises(RepoURLError, match="absolute path"):
        validate_repo_url("srv/git/r.git", allow_local=True)
    with pytest.raises(RepoURLError, match="absolute path"):
        validate_repo_url("file://otherhost/srv/r.git", allow_local=True)


@pytest.mark.parametrize("branch", ["main", "feature/login", "release-1.2", "v2_x"])
def test_valid_branches(branch):
    assert validate_branch(branch) == branch


@pytest.mark.parametrize(
    "branch",
    [
        "",
        "-x",
        "--upload-pack=x",
        "a..b",
        "a b",
        "x.lock",
        "@",
        "a~1",
        "a^",
        "a:b",
        "/x",
        "x/",
        ".hidden",
        "a@{1}",
    ],
)
def test_invalid_branches(branch):
    with pytest.raises(RepoURLError, match="branch"):
        validate_branch(branch)


@pytest.mark.parametrize(
    ("given", "expected"),
    [("", ""), ("/", ""), ("services/api", "services/api"), ("services/api/", "services/api")],
)
def test_valid_subfolders(given, expected):
    assert validate_subfolder(given) == expected


@pytest.mark.parametrize(
    "given", ["/etc", "../x", "a/../b", "a//b", ".git", "a/.GIT/b", "a\\b", "a\nb", "./a"]
)
def test_invalid_subfolders(given):
    with pytest.raises(RepoURLError):
        validate_subfolder(given)
