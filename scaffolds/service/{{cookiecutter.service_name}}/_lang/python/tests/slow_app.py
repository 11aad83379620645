"""The service with a slow ``/``, to show that shutdown waits for a request in flight. Run by test_app."""

from __future__ import annotations

import os
import time

from {{ cookiecutter.service_name | replace('-', '_') }}.app import App, Response
from {{ cookiecutter.service_name | replace('-', '_') }}.config import Config
from {{ cookiecutter.service_name | replace('-', '_') }}.server import Server, build_app

SLOW_SECONDS = 1.0


class SlowApp(App):
    def dispatch(self, method: str, path: str) -> Response:
        if path == "/":
            self.logger.info("slow request started")
            time.sleep(SLOW_SECONDS)
        return super().dispatch(method, path)


def slow_app(config: Config, start_time: float) -> App:
    app = build_app(config, start_time)
    return SlowApp(app.config, app.registry, app.logger, app.tracing)


if __name__ == "__main__":
    Server(Config.from_env(os.environ), factory=slow_app).run()
