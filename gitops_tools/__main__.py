from __future__ import annotations

from gitops_tools.cli import main

raise SystemExit(main())
