locals {
  # Input and output hold user data, so they keep noncurrent versions for a
  # while (an accidental overwrite or delete can be undone); staging is
  # scratch space the pipeline can always rebuild, so it expires instead.
  buckets = {
    input   = { versioned = true }
    output  = { versioned = true }
    staging = { versioned = false }
  }
}

resource "google_storage_bucket" "bucket" {
  # checkov:skip=CKV_GCP_62:Usage logs would need yet another bucket; Cloud Audit Logs (data access) are the record we rely on.
  # checkov:skip=CKV_GCP_78:Versioning is on for input and output (user data); staging is rebuildable scratch space that expires instead.
  for_each = local.buckets

  name                        = "${var.name_prefix}-${each.key}"
  project                     = var.project_id
  location                    = var.location
  labels                      = var.labels
  force_destroy               = var.force_destroy
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = each.value.versioned
  }

  dynamic "lifecycle_rule" {
    for_each = each.value.versioned ? [] : [var.staging_expiry_days]
    content {
      action {
        type = "Delete"
      }
      condition {
        age = lifecycle_rule.value
      }
    }
  }

  dynamic "lifecycle_rule" {
    for_each = each.value.versioned ? [var.noncurrent_version_expiry_days] : []
    content {
      action {
        type = "Delete"
      }
      condition {
        days_since_noncurrent_time = lifecycle_rule.value
        with_state                 = "ARCHIVED"
      }
    }
  }
}
