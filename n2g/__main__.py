"""`python -m n2g` = the `n2g` command."""

from n2g.cli import main

main()
