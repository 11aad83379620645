"""Run cookiecutter in a process of its own: `gitops-tools new` renders through this module.

cookiecutter runs a scaffold's hooks as child processes. Rendered in the CLI's own process, an interrupt would leave
a hook running after the work folder was removed, free to recreate it. In a child process in its own session, the
whole render (hooks included) can be stopped and waited for before anything is cleaned up.

Reads a JSON request on stdin: template, output_dir, config_file, extra_context. Prints the rendered folder; on a
cookiecutter error, prints its message on stderr and exits 1.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from cookiecutter.exceptions import CookiecutterException
    from cookiecutter.main import cookiecutter

    request = json.load(sys.stdin)
    try:
        rendered = cookiecutter(request["template"], no_input=True, extra_context=request["extra_context"],
                                output_dir=request["output_dir"], config_file=request["config_file"])
    except CookiecutterException as err:
        sys.stderr.write(f"{err}\n")
        return 1
    sys.stdout.write(f"{rendered}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
