"""The command line: every subcommand, its options, messages and exit codes."""
