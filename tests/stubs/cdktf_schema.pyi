# stage.py imports cdktf_schema by bare name (it puts its own folder on
# sys.path). mypy checks the real module as tools.offline_plan.cdktf_schema;
# this stub lets the bare name resolve to it.
from tools.offline_plan.cdktf_schema import *  # noqa: F403  (re-export the whole module)
