"""python -m nicenergy ARGS: the nicenergy command, where it is built."""
import os
import sys

from . import Error, _cli


def main() -> int:
    try:
        cli = _cli()
    except Error as e:
        print(f"nicenergy: {e}", file=sys.stderr)
        return 2
    os.execv(cli, [cli, *sys.argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
