locals {
  # Revisions are named after the release version, so the name alone says
  # what a revision runs and a promotion can route traffic to it by name.
  revision = "${var.name}-${var.revision_suffix}"

  # Without explicit targets the revision this template creates gets all
  # traffic, tagged with its version.
  traffic = length(var.traffic) > 0 ? var.traffic : [
    { percent = 100, revision = local.revision, tag = var.revision_suffix },
  ]
}

resource "google_service_account" "run" {
  project      = var.project_id
  account_id   = var.name
  display_name = "dropcast runtime identity for ${var.name}"
  description  = "Cloud Run service ${var.name}; holds bucket- and topic-level roles only."
}

resource "google_cloud_run_v2_service" "service" {
  project             = var.project_id
  name                = var.name
  location            = var.region
  labels              = var.labels
  ingress             = var.ingress
  custom_audiences    = [var.audience]
  deletion_protection = var.deletion_protection

  template {
    revision                         = local.revision
    service_account                  = google_service_account.run.email
    labels                           = merge(var.labels, { version = var.revision_suffix })
    timeout                          = "${var.request_timeout_seconds}s"
    max_instance_request_concurrency = var.concurrency

    scaling {
      min_instance_count = var.min_instances
      max_instance_count = var.max_instances
    }

    containers {
      image = var.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.cpu
          memory = var.memory
        }
        # CPU only while a request is in flight: push delivery is
        # request-based, so an idle service costs nothing.
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = var.env
        content {
          name  = env.key
          value = env.value
        }
      }

      startup_probe {
        initial_delay_seconds = 0
        period_seconds        = 3
        timeout_seconds       = 2
        failure_threshold     = 20
        http_get {
          path = var.startup_probe_path
        }
      }
    }
  }

  # gcloud and the console stamp client and client_version on every change
  # they make; that is not drift Terraform should undo (as fabric's
  # cloud-run-v2 module does).
  lifecycle {
    ignore_changes = [client, client_version]
  }

  dynamic "traffic" {
    for_each = local.traffic
    content {
      type     = "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION"
      revision = traffic.value.revision
      percent  = traffic.value.percent
      tag      = traffic.value.tag
    }
  }
}
