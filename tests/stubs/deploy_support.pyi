# The deploy tests import deploy_support by bare name (their conftest puts
# tests/deploy on sys.path, since pytest runs with --import-mode=importlib). mypy
# checks the real module as tests.deploy.deploy_support; this stub lets the bare
# name resolve to it without making tests/deploy a mypy base (which would clash
# conftest modules).
from tests.deploy.deploy_support import *  # noqa: F403  (re-export the whole module)
