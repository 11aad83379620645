"""Run cookiecutter (and the first git commit) in a process of its own: `gitops-tools new` renders through this.

cookiecutter runs a scaffold's hooks as child processes, and gitpython runs git. Run in the CLI's own process, an
interrupt would leave them running after the work folder was removed, free to recreate it. In a child process in
its own session, the whole render can be stopped and waited for before anything is cleaned up.

Reads a JSON request on stdin: template, output_dir, config_file, extra_context, and commit (null, or scaffold,
version and unless_repository_in: commit in a new repository unless the rendered folder's name is a repository
there already), and source (null, or the template source to record in the rendered state file instead of the
one the scaffold's hook found). Prints {"rendered": folder, "commit": sha or null}; on an error, its message on
stderr, exit 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def main() -> int:
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    from gitops_tools.errors import GitopsToolsError
    from gitops_tools.scaffold import commit_initial

    request: dict[str, Any] = json.load(sys.stdin)
    try:
        rendered = Path(cookiecutter(request["template"], no_input=True, extra_context=request["extra_context"],
                                     output_dir=request["output_dir"], config_file=request["config_file"]))
    except CookiecutterException as err:
        sys.stderr.write(f"scaffold {Path(request['template']).name} failed to render: {err}\n")
        return 1
    if request.get("source") is not None:
        from gitops_tools.lifecycle.state import record_source

        try:
            record_source(rendered, request["source"])
        except GitopsToolsError as err:
            sys.stderr.write(f"{err}\n")
            return 1
    commit, wanted = None, request["commit"]
    if wanted is not None and not (Path(wanted["unless_repository_in"]) / rendered.name / ".git").exists():
        try:
            commit = commit_initial(rendered, wanted["scaffold"], wanted["version"], fresh=True)
        except GitopsToolsError as err:
            sys.stderr.write(f"{err}\n")
            return 1
    sys.stdout.write(json.dumps({"rendered": str(rendered), "commit": commit}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
