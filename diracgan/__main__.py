"""``python -m diracgan``: the same command as ``diracgan``."""

from .cli import main

if __name__ == "__main__":
    main()
