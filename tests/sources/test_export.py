"""Writing blobs from ``git cat-file --batch`` output: only inside the destination, never through links."""

import io
import os

from readiness.sources.export import safe_relative_parts, write_blobs


def batch(*blobs: tuple[str, bytes]) -> io.BytesIO:
    return io.BytesIO(b"".join(f"{oid} blob {len(data)}\n".encode() + data + b"\n" for oid, data in blobs))


def test_blobs_are_written_to_every_path_that_holds_them(tmp_path):
    stream = batch(("a" * 40, b"FROM alpine\n"), ("b" * 40, b"{}\n"))
    written, skipped = write_blobs(
        stream,
        oids=["a" * 40, "b" * 40],
        paths_by_oid={"a" * 40: ["Dockerfile", "api/Dockerfile"], "b" * 40: ["package.json"]},
        dest=tmp_path,
    )
    assert written == ["Dockerfile", "api/Dockerfile", "package.json"]
    assert skipped == []
    assert (tmp_path / "api" / "Dockerfile").read_bytes() == b"FROM alpine\n"
    assert (tmp_path / "package.json").read_bytes() == b"{}\n"


def test_paths_leaving_the_destination_are_refused(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    bad = ["../evil", "a/../../evil", ".git/config", "a/.GIT/hooks/post-checkout", "/etc/evil", "a//b", "./x"]
    written, skipped = write_blobs(
        batch(("a" * 40, b"evil\n")), oids=["a" * 40], paths_by_oid={"a" * 40: bad}, dest=dest
    )
    assert written == []
    assert [path for path, _ in skipped] == bad
    assert list(tmp_path.rglob("evil")) == [] and list(dest.iterdir()) == []
    assert all(safe_relative_parts(path) is None for path in bad)


def test_an_existing_link_is_never_written_through(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, dest / "api")
    os.symlink(outside / "target", dest / "Dockerfile")
    written, skipped = write_blobs(
        batch(("a" * 40, b"x\n")),
        oids=["a" * 40],
        paths_by_oid={"a" * 40: ["Dockerfile", "api/Dockerfile"]},
        dest=dest,
    )
    assert written == []
    assert [path for path, _ in skipped] == ["Dockerfile", "api/Dockerfile"]
    assert list(outside.iterdir()) == []


def test_missing_blob_is_reported_and_the_stream_stays_in_step(tmp_path):
    stream = io.BytesIO(b"c" * 40 + b" missing\n" + f"{'d' * 40} blob 3\n".encode() + b"abc\n")
    written, skipped = write_blobs(
        stream,
        oids=["c" * 40, "d" * 40],
        paths_by_oid={"c" * 40: ["go.mod"], "d" * 40: ["Cargo.toml"]},
        dest=tmp_path,
    )
    assert written == ["Cargo.toml"]
    assert skipped == [("go.mod", "blob could not be read")]
    assert (tmp_path / "Cargo.toml").read_bytes() == b"abc"
