"""Parse the discovered files and link compose services to the Dockerfiles they build."""


def parse_and_link(project) -> None:
    # Filled in by the Dockerfile/compose parsing work (issue 3).
    return None
