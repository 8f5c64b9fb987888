"""Every Dockerfile of the awesome-compose corpus parses, and every check runs over the corpus."""

from readiness.engine import analyze
from readiness.engine.dockerfile import parse_dockerfile
from tests.shared_dir import shared_path

CORPUS = shared_path("corpus", "awesome-compose")


def corpus_dockerfiles():
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and "dockerfile" in p.name.lower())


def test_every_corpus_dockerfile_parses():
    dockerfiles = corpus_dockerfiles()
    assert dockerfiles, "no Dockerfiles found in the corpus"
    for path in dockerfiles:
        parsed = parse_dockerfile(str(path.relative_to(CORPUS)), path.read_bytes())
        assert parsed.error is None, (path, parsed.error)
        assert parsed.stages, path
        assert all(stage.base for stage in parsed.stages), path


def test_no_dockerfile_or_dockerignore_check_errors_on_the_corpus():
    report = analyze(CORPUS)
    for result in report.results:
        if result.id.startswith(("dockerfile.", "dockerignore.")):
            assert result.status != "error", (result.id, result.evidence)
