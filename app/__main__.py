"""``python -m app``: the same as the ``crm-pulse`` command."""

from app.cli import main

raise SystemExit(main())
