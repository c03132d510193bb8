# The offline-plan tests import plan_support by bare name (their conftest puts
# tests/terraform/offline on sys.path, since pytest runs with
# --import-mode=importlib). mypy checks the real module as
# tests.terraform.offline.plan_support; this stub lets the bare name resolve to it.
from tests.terraform.offline.plan_support import *  # noqa: F403  (re-export the whole module)
