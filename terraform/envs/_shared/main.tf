# An environment root: one call of the pipeline module. envs/dev and envs/prod
# link these files (main.tf, variables.tf, outputs.tf, versions.tf) and keep
# only their own backend.tf and terraform.tfvars (which names the environment).
#
# What runs is the committed release file releases/<environment>.json: with no
# -var overrides, plan and apply converge on it. The deploy sessions pass the
# new images, version and traffic as -var and write the release file after a
# successful apply.

locals {
  release = jsondecode(file("${path.module}/../../../releases/${var.environment}.json"))
  # The one definition of topics, subscriptions and timeouts, which the local
  # stack reads too; the root knows the repository layout, the module does not.
  definition = jsondecode(file("${path.module}/../../../libs/common/src/dropcast_common/pipeline.json"))

  release_version  = var.release_version != null ? var.release_version : try(local.release.version, null)
  ingest_image     = var.ingest_image != null ? var.ingest_image : try(local.release.services.ingest.image, null)
  forecast_image   = var.forecast_image != null ? var.forecast_image : try(local.release.services.forecast.image, null)
  ingest_traffic   = var.ingest_traffic != null ? var.ingest_traffic : try(local.release.services.ingest.traffic, [])
  forecast_traffic = var.forecast_traffic != null ? var.forecast_traffic : try(local.release.services.forecast.traffic, [])
}

provider "google" {
  project = var.project_id
  region  = var.region
}

module "pipeline" {
  source = "../../modules/pipeline"

  project_id          = var.project_id
  region              = var.region
  environment         = var.environment
  definition          = local.definition
  labels              = var.labels
  release_version     = local.release_version
  deletion_protection = var.deletion_protection
  force_destroy       = var.force_destroy
  staging_expiry_days = var.staging_expiry_days
  ingest = merge(var.ingest_sizing, {
    image   = local.ingest_image
    traffic = local.ingest_traffic
  })
  forecast = merge(var.forecast_sizing, {
    image   = local.forecast_image
    traffic = local.forecast_traffic
  })
}
