# One push pipe: a topic, the push subscription that delivers it to one
# Cloud Run endpoint with an OIDC token signed by the caller's push identity, and the dead-letter topic whose own
# push subscription reports what could not be delivered (and parks what it
# cannot report).

resource "google_pubsub_topic" "topic" {
  # checkov:skip=CKV_GCP_83:Google-managed encryption; a CMEK key would cost money at idle and dropcast holds no regulated data.
  project = var.project_id
  name    = "${var.name_prefix}${var.topic}"
  labels  = var.labels
}

resource "google_pubsub_topic" "dead_letter" {
  # checkov:skip=CKV_GCP_83:Google-managed encryption, as for the source topic.
  project = var.project_id
  name    = "${var.name_prefix}${var.dead_letter.topic}"
  labels  = var.labels
}

resource "google_pubsub_subscription" "push" {
  project                    = var.project_id
  name                       = "${var.name_prefix}${var.subscription}"
  topic                      = google_pubsub_topic.topic.id
  labels                     = var.labels
  ack_deadline_seconds       = var.ack_deadline_seconds
  message_retention_duration = var.message_retention_duration

  retry_policy {
    minimum_backoff = var.minimum_backoff
    maximum_backoff = var.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  push_config {
    push_endpoint = var.push.endpoint
    oidc_token {
      service_account_email = var.push_service_account.email
      audience              = var.push.audience
    }
  }

  # An idle environment must not lose its subscription after 31 days.
  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_service_account_iam_member.token_creator,
  ]
}

# The status subscription pushes dead letters to the status consumer with the
# pipe's backoff. What it still cannot deliver after its own
# max_delivery_attempts is parked on the caller's parking topic (held by a
# pull subscription, see modules/parking), so nothing is lost and a broken
# status consumer cannot hide a failure by letting retention run out.
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = "${var.name_prefix}${var.dead_letter.subscription}"
  topic                      = google_pubsub_topic.dead_letter.id
  labels                     = var.labels
  ack_deadline_seconds       = var.dead_letter.ack_deadline_seconds
  message_retention_duration = var.message_retention_duration

  retry_policy {
    minimum_backoff = var.minimum_backoff
    maximum_backoff = var.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = var.dead_letter.parking_topic_id
    max_delivery_attempts = var.dead_letter.max_delivery_attempts
  }

  push_config {
    push_endpoint = var.dead_letter.push_endpoint
    oidc_token {
      service_account_email = local.dead_letter_push_account
      audience              = var.dead_letter.audience
    }
  }

  expiration_policy {
    ttl = ""
  }
}

locals {
  # Status pushes go to a service that trusts exactly one push identity; the
  # caller names it when that service is not this pipe's own target.
  dead_letter_push_account = coalesce(var.dead_letter.service_account_email, var.push_service_account.email)
}
