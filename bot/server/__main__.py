"""`python -m bot.server run …`: Rasa's command line, with Dana's changes to
Rasa's own code installed first (bot/server/patches.py) — the one place they
are installed. Every way Dana's Rasa server is started uses it: scripts/run.sh,
scripts/cluster.sh, deploy/ (Dockerfile, compose, Helm) and the tests.

`run` (the server) goes the way rasa/__main__.py goes, with one addition
through Rasa's own hook, ``serve_application(server_listeners=…)``: the HTTP
API's body checks (bot/server/api_guard.py) registered as request middleware.
Other commands are Rasa's, unchanged."""

from __future__ import annotations

import os
import sys

from bot.server import patches


def serve() -> None:
    """`rasa run …` as rasa/__main__.py main() runs it, plus Dana's server listeners."""
    import rasa.telemetry
    import rasa.utils.io
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.__main__ import create_argument_parser
    from rasa.plugin import plugin_manager
    from rasa.shared.exceptions import RasaException
    from rasa.shared.utils.cli import print_error
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from bot.server import api_guard

    args = create_argument_parser().parse_args()
    log_level = getattr(args, "loglevel", None)
    configure_logging_and_warnings(
        log_level, getattr(args, "logging_config_file", None), warn_only_once=True, filter_repeated_logs=True
    )
    tf_env.setup_tf_environment()
    tf_env.check_deterministic_ops()
    sys.path.insert(1, os.getcwd())  # custom modules named in the YAML files, as Rasa does
    try:
        rasa.utils.io.configure_colored_logging(log_level)
        found = plugin_manager().hook.configure_commandline(cmdline_arguments=args)
        endpoints_file = found[0] if found else None
        rasa.telemetry.initialize_telemetry()
        rasa.telemetry.initialize_error_reporting()
        plugin_manager().hook.init_telemetry(endpoints_file=endpoints_file)
        plugin_manager().hook.init_managers(endpoints_file=endpoints_file)
        plugin_manager().hook.init_anonymization_pipeline(endpoints_file=endpoints_file)
        configure_structlog(log_level)
        args.server_listeners = [(api_guard.listener(args.auth_token), "before_server_start")]
        args.func(args)
    except RasaException as error:
        print_error(f"{error.__class__.__name__}: {error}")
        sys.exit(1)


def main() -> None:
    patches.install()
    command = sys.argv[1:]
    sys.argv = ["rasa", *command]
    if command[:1] == ["run"] and command[1:2] != ["actions"]:
        serve()
        return
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
