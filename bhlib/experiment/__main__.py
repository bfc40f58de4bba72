"""``python -m bhlib.experiment``: the accuracy-versus-size sweep (:mod:`bhlib.experiment.cli`)."""
from .cli import main

if __name__ == "__main__":
    main()
