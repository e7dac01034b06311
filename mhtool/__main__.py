"""`python -m mhtool` runs the command line, for machines where the script is not on PATH."""

from mhtool.cli import main

main(prog_name="mhtool")
