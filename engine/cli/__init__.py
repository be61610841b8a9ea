"""Command-line groups under ``flask <group> <command>``.

Entry points: import services; no service imports them.
"""
