# The HCL tests import tf_hcl by bare name (their conftest puts tests/terraform on
# sys.path, since pytest runs with --import-mode=importlib). mypy checks the real
# module as tests.terraform.tf_hcl; this stub lets the bare name resolve to it
# without making tests/terraform a mypy base (which would clash conftest modules).
from tests.terraform.tf_hcl import *  # noqa: F403  (re-export the whole module)
