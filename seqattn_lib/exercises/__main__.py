"""Command line: ``python -m seqattn_lib.exercises export DIR`` and ``... grade DIR``.

``export`` writes the learner's copy of every coded exercise into ``DIR`` (one file per
checker module, each exercise a stub). ``grade`` runs the functions in ``DIR`` through
the checkers and prints a table. Exit status: 0 when every exercise passed, 1 when some
exercise failed or was not attempted, 2 for a bad command line (missing folder, files
that ``export`` would overwrite).
"""

from __future__ import annotations

import argparse
import sys

from .grading import export, grade, report

EXIT_ALL_PASSED, EXIT_NOT_ALL_PASSED, EXIT_USAGE = 0, 1, 2


def main(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m seqattn_lib.exercises", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    out = commands.add_parser("export", help="write the exercises as stubs into DIR")
    out.add_argument("directory", metavar="DIR")
    out.add_argument("--force", action="store_true", help="overwrite existing files")
    marks = commands.add_parser("grade", help="check the answers in DIR")
    marks.add_argument("directory", metavar="DIR")
    marks.add_argument("--time-limit", type=float, default=20.0, help="seconds per check (default 20)")
    args = parser.parse_args(argv)
    try:
        if args.command == "export":
            paths = export(args.directory, overwrite=args.force)
            print(f"wrote {len(paths)} files into {args.directory}; grade them with "
                  f"`python -m seqattn_lib.exercises grade {args.directory}`")
            return EXIT_ALL_PASSED
        results = grade(args.directory, time_limit=args.time_limit)
    except (FileExistsError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    print(report(results))
    return EXIT_ALL_PASSED if all(result for _, result in results) else EXIT_NOT_ALL_PASSED


if __name__ == "__main__":
    sys.exit(main())
