# The parking topic: where a dead letter goes when even its status push could
# not be delivered (the status subscriptions' own dead-letter policy). Nothing
# consumes it; a pull subscription holds what arrives for an operator.

resource "google_pubsub_topic" "parked" {
  # checkov:skip=CKV_GCP_83:Google-managed encryption; a CMEK key would cost money at idle and dropcast holds no regulated data.
  project = var.project_id
  name    = "${var.name_prefix}${var.topic}"
  labels  = var.labels
}

# A pull subscription, deliberately: pushing parked messages anywhere would
# make them somebody's next failure. Acknowledged messages are kept for the
# retention period too, so a message pulled with --auto-ack can still be
# recovered with `gcloud pubsub subscriptions seek`.
resource "google_pubsub_subscription" "hold" {
  project                    = var.project_id
  name                       = "${var.name_prefix}${var.subscription}"
  topic                      = google_pubsub_topic.parked.id
  labels                     = var.labels
  message_retention_duration = var.message_retention_duration
  retain_acked_messages      = true

  # Parked messages are rare: the hold must not expire while nothing arrives.
  expiration_policy {
    ttl = ""
  }
}
