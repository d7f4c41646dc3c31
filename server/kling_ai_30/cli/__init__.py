"""Command line entry point (filled in by the CLI work)."""


def main(argv: list[str] | None = None) -> int:
    raise SystemExit("not yet")
