"""``python -m tinygrad_cnn ...`` runs the ``tinygrad-cnn`` command."""

from .cli import main

raise SystemExit(main())
