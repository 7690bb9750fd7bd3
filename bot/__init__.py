"""Relais: application wiring, settings, access control and the command-line entry point."""
