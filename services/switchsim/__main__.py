"""`python -m careline.switchsim` (the same as `careline sim`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
