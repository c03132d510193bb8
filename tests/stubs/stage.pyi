# The offline-plan tests import stage by bare name (their conftest puts
# tools/offline_plan on sys.path). mypy checks the real module as
# tools.offline_plan.stage; this stub lets the bare name resolve to it.
from tools.offline_plan.stage import *  # noqa: F403  (re-export the whole module)
