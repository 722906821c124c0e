"""`python -m bot.server run …`: Rasa's command line, with Dana's changes to
Rasa's own code installed first (bot/server/patches.py) — the one place they
are installed. Every way Dana's Rasa server is started uses it: scripts/run.sh,
scripts/cluster.sh, deploy/ (Dockerfile, compose, Helm) and the tests."""

import sys

from bot.server import patches


def main() -> None:
    patches.install()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
