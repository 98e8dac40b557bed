"""Build hook: ship the top-level Cypher and JSON Schema folders inside the wheel.

`queries/`, `schema/` and `ingest/` stay at the repository top level (where Neo4j Browser
users find them); a wheel carries copies under `n2g/_data/`, which `n2g.resources` reads.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED_FOLDERS = ("queries", "schema", "ingest")


class BuildWithCypher(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).parent
        for name in SHIPPED_FOLDERS:
            source = root / name
            if source.is_dir():
                shutil.copytree(
                    source, Path(self.build_lib) / "n2g" / "_data" / name, dirs_exist_ok=True
                )


setup(cmdclass={"build_py": BuildWithCypher})
