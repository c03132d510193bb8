# One-time, per project: the APIs, the Terraform state bucket for the
# environments, and the image repository (which must exist before the first
# build, that is before any environment is applied).
#
# This root keeps its own state locally at first; docs/deploy.md shows how to
# move it into the bucket it creates.

locals {
  state_bucket = coalesce(var.state_bucket, "${var.project_id}-dropcast-tfstate")
  apis = [
    "artifactregistry.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "storage.googleapis.com",
  ]
}

provider "google" {
  project = var.project_id
  region  = var.region
}

resource "google_project_service" "api" {
  for_each = toset(local.apis)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}

resource "google_storage_bucket" "state" {
  # checkov:skip=CKV_GCP_62:Usage logs would need yet another bucket; Cloud Audit Logs record access to state.
  name                        = local.state_bucket
  project                     = var.project_id
  location                    = var.region
  labels                      = var.labels
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  # State history: a bad apply can be undone by restoring an older version.
  versioning {
    enabled = true
  }

  lifecycle_rule {
    action {
      type = "Delete"
    }
    condition {
      num_newer_versions = 20
      with_state         = "ARCHIVED"
    }
  }

  depends_on = [google_project_service.api]
}

module "registry" {
  source         = "../modules/artifact-registry"
  project_id     = var.project_id
  location       = var.region
  labels         = var.labels
  reader_members = var.registry_reader_members
  writer_members = var.build_writer_members

  depends_on = [google_project_service.api]
}
