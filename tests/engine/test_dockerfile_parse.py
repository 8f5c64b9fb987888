"""The Dockerfile parser: heredocs, ARG substitution, stage chains, directives, continuations."""

import pytest

from readiness.engine.dockerfile import (
    is_dev_dockerfile_path,
    parse_dockerfile,
    parse_env_values,
    parse_image_ref,
    substitute_args,
)


def parse(text: str):
    dockerfile = parse_dockerfile("Dockerfile", text.encode())
    assert dockerfile.error is None
    return dockerfile


def test_run_heredoc_body_is_folded_into_its_instruction_and_lines_stay_true():
    dockerfile = parse(
        "FROM debian:bookworm-slim\nRUN <<EOT bash\nset -e\napt-get install -y curl\nEOT\nUSER app\n"
    )
    run, user = dockerfile.stage().instructions
    assert run.cmd == "RUN" and run.line == 2
    assert "apt-get install -y curl" in run.value
    assert run.heredocs == ("set -e\napt-get install -y curl\n",)
    assert (user.cmd, user.value, user.line) == ("USER", "app", 6)


def test_copy_heredoc_and_dash_heredoc_strip_tabs():
    dockerfile = parse(
        'FROM alpine:3.20\nCOPY <<"EOF" /etc/app.conf\nkey=value\nEOF\n'
        'RUN <<-END\n\techo hi\n\tEND\nCMD ["x"]\n'
    )
    copy, run, cmd = dockerfile.stage().instructions
    assert copy.heredocs == ("key=value\n",)
    assert run.heredocs == ("echo hi\n",)
    assert cmd.line == 8


def test_a_marker_inside_quotes_is_not_a_heredoc():
    dockerfile = parse("FROM alpine:3.20\nRUN echo \"use <<EOF\" 'or <<-END'\nUSER app\n")
    assert [i.cmd for i in dockerfile.stage().instructions] == ["RUN", "USER"]


def test_here_string_is_not_a_heredoc():
    dockerfile = parse("FROM alpine:3.20\nRUN cat <<< EOF\nUSER app\n")
    assert [i.cmd for i in dockerfile.stage().instructions] == ["RUN", "USER"]


@pytest.mark.parametrize(
    ("text", "base"),
    [
        ("ARG V=3.12\nFROM python:${V}-slim\n", "python:3.12-slim"),
        ("ARG V=3.12\nFROM python:$V\n", "python:3.12"),
        ("ARG V\nFROM python:${V:-3.11}\n", "python:3.11"),
        ('ARG IMAGE="node:22-alpine"\nFROM $IMAGE\n', "node:22-alpine"),
        ("ARG A=1 B=2\nFROM img:${A}.${B}\n", "img:1.2"),
    ],
)
def test_global_args_are_substituted_into_from(text, base):
    assert parse(text).stage().base == base


def test_an_arg_without_default_is_reported_unresolved():
    stage = parse("ARG TAG\nFROM python:${TAG}\n").stage()
    assert stage.base == "python:"
    assert stage.unresolved_args == ("TAG",)


def test_args_declared_inside_a_stage_do_not_reach_the_next_from():
    dockerfile = parse("FROM alpine:3.20\nARG V=1\nFROM img:${V:-default}\n")
    assert dockerfile.stage().base == "img:default"


def test_stage_chains_and_targets():
    dockerfile = parse(
        "FROM python:3.12-slim AS Base\n"
        "USER app\n"
        "FROM base AS build\n"
        "RUN make\n"
        "FROM base AS final\n"
        "COPY --from=build /out /out\n"
        "COPY --from=0 /etc/passwd /x\n"
    )
    final = dockerfile.stage()
    assert final.name == "final" and final.parent.name == "base"
    assert [s.name for s in final.chain()] == ["final", "base"]
    assert dockerfile.stage("BUILD").index == 1
    assert dockerfile.stage("missing") is None
    assert [s.name for s in dockerfile.copied_from(final)] == ["build", "base"]
    assert [s.name for s in dockerfile.ancestry()] == ["base", "build", "final"]
    assert dockerfile.user_instruction().value == "app"


def test_healthcheck_follows_the_from_chain_and_none_disables_it():
    dockerfile = parse(
        "FROM alpine:3.20 AS base\n"
        "HEALTHCHECK --interval=5s CMD wget -q -O- http://localhost/health\n"
        "FROM base AS inherits\n"
        "FROM base AS disables\n"
        "HEALTHCHECK NONE\n"
        "FROM alpine:3.20 AS unrelated\n"
    )
    assert dockerfile.has_healthcheck("inherits")
    check = dockerfile.healthcheck_instruction("inherits")
    assert check.flag("interval") == "5s" and check.value.startswith("CMD wget")
    assert not dockerfile.has_healthcheck("disables")
    assert not dockerfile.has_healthcheck()


def test_effective_command_is_inherited_and_entrypoint_resets_an_inherited_cmd():
    dockerfile = parse(
        "FROM python:3.12-slim AS base\n"
        'CMD ["python"]\n'
        "FROM base AS run\n"
        "FROM base AS entry\n"
        'ENTRYPOINT ["tini", "--"]\n'
        "FROM base AS shell\n"
        'SHELL ["/bin/bash", "-c"]\n'
        "CMD gunicorn app:app\n"
        "FROM scratch AS unknown\n"
    )
    assert dockerfile.effective_command("run") == ["python"]
    assert dockerfile.effective_command("entry") == ["tini", "--"]
    assert dockerfile.effective_command("shell") == ["/bin/bash", "-c", "gunicorn app:app"]
    assert dockerfile.effective_command("unknown") is None


def test_directives_and_the_backtick_escape():
    dockerfile = parse(
        "# syntax=docker/dockerfile:1.7\n"
        "# escape=`\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        "RUN dir c:\\ `\n"
        "    && echo done\n"
        "USER ContainerUser\n"
    )
    assert dockerfile.directives == {"syntax": "docker/dockerfile:1.7", "escape": "`"}
    run, user = dockerfile.stage().instructions
    assert "echo done" in run.value and (run.line, run.end_line) == (4, 5)
    assert user.line == 6


def test_a_directive_after_a_comment_is_only_a_comment():
    assert parse("# hello\n# syntax=docker/dockerfile:1\nFROM alpine:3.20\n").directives == {}


def test_comments_and_blank_lines_inside_a_continuation_do_not_end_it():
    dockerfile = parse(
        "FROM debian:bookworm-slim\n"
        "RUN apt-get update && \\\n"
        "    # install tools\n"
        "\n"
        "    apt-get install -y curl\n"
        "USER app\n"
    )
    run, user = dockerfile.stage().instructions
    assert "apt-get install -y curl" in run.value
    assert user.line == 6


def test_json_and_shell_forms_and_flags():
    dockerfile = parse(
        "FROM alpine:3.20\n"
        'CMD ["a", "b"]\n'
        "CMD ['a']\n"
        "RUN --mount=type=cache,target=/root/.cache --network=none make\n"
    )
    json_cmd, single_quoted, run = dockerfile.stage().instructions
    assert json_cmd.json_args == ["a", "b"]
    assert single_quoted.json_args is None
    assert run.flag("network") == "none" and run.has_cache_mount("/root/.cache")
    assert run.value == "make"


def test_a_continuation_left_open_at_the_end_of_file_still_counts():
    dockerfile = parse("FROM alpine:3.20\nRUN echo one \\\n")
    assert dockerfile.stage().instructions[0].value.startswith("echo one")


def test_crlf_line_endings_and_a_bom():
    dockerfile = parse_dockerfile("Dockerfile", b"\xef\xbb\xbfFROM alpine:3.20\r\nUSER app\r\n")
    assert dockerfile.error is None and dockerfile.user_instruction().value == "app"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "has no FROM instruction"),
        (b"RUN echo hi\n", "has no FROM instruction"),
        (b"FROM a\x00b\n", "contains NUL bytes"),
        (b"FROM caf\xe9\n", "not valid UTF-8"),
        (b"#" * (1024 * 1024 + 1), "larger than 1024 KiB"),
    ],
)
def test_unusable_input_becomes_an_error_not_an_exception(raw, reason):
    dockerfile = parse_dockerfile("Dockerfile", raw)
    assert dockerfile.error is not None and reason in dockerfile.error
    assert dockerfile.stages == []


def test_env_values_in_both_forms():
    assert parse_env_values('A=1 B="two words"') == [("A", "1"), ("B", "two words")]
    assert parse_env_values("LEGACY some value") == [("LEGACY", "some value")]


def test_substitute_args_operators():
    args = {"SET": "x", "EMPTY": "", "NODEFAULT": None}
    assert substitute_args("${SET:+yes}${NODEFAULT:+no}", args) == ("yes", ())
    assert substitute_args("${EMPTY:-d}|${EMPTY-d}", args) == ("d|", ())
    assert substitute_args("${NODEFAULT}", args) == ("", ("NODEFAULT",))


@pytest.mark.parametrize(
    ("reference", "repository", "tag", "digest"),
    [
        ("python", "python", None, None),
        ("python:3.12-slim", "python", "3.12-slim", None),
        ("registry:5000/team/app", "registry:5000/team/app", None, None),
        ("registry:5000/team/app:1.0@sha256:abc", "registry:5000/team/app", "1.0", "sha256:abc"),
    ],
)
def test_image_references(reference, repository, tag, digest):
    image = parse_image_ref(reference)
    assert (image.repository, image.tag, image.digest) == (repository, tag, digest)


@pytest.mark.parametrize(
    ("path", "is_dev"),
    [
        ("Dockerfile", False),
        ("services/api/Dockerfile.prod", False),
        ("Dockerfile.dev", True),
        ("dev.Dockerfile", True),
        ("Dockerfile.test", True),
        ("deployment/docker/docker_dev/Dockerfile", True),
        ("test/Dockerfile", True),
        ("development/Dockerfile", True),
        ("devops/Dockerfile", False),
    ],
)
def test_development_dockerfile_names(path, is_dev):
    assert is_dev_dockerfile_path(path) is is_dev
