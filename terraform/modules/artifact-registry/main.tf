resource "google_artifact_registry_repository" "repository" {
  # checkov:skip=CKV_GCP_84:Google-managed encryption; a CMEK key would cost money at idle for images that hold no secrets.
  project       = var.project_id
  location      = var.location
  repository_id = var.repository_id
  description   = "dropcast service images, tagged with the git SHA and deployed by digest."
  format        = "DOCKER"
  labels        = var.labels

  # A SHA tag names one build forever; pushing it again must fail.
  docker_config {
    immutable_tags = true
  }

  # KEEP wins over DELETE: the newest builds (everything a release file can
  # still point at) stay, older ones go after the retention period.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.keep_recent_versions
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "${var.retention_days * 86400}s"
    }
  }
}
