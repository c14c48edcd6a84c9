"""One module per ``statetrack`` subcommand: ``add_arguments(parser)`` and ``run(args)``."""
