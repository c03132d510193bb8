# What the Pub/Sub service agent needs to run this pipe, granted on the pipe's
# own resources only (never project-wide).

data "google_project" "project" {
  project_id = var.project_id
}

locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.project.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# Forward undeliverable messages to the dead-letter topic.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_agent
}

# Acknowledge the forwarded message on the source subscription.
resource "google_pubsub_subscription_iam_member" "source_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.push.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Acknowledge what the status subscription parked on the parking topic
# (publisher there is granted once, by the parking module that owns it).
resource "google_pubsub_subscription_iam_member" "status_subscriber" {
  project      = var.project_id
  subscription = google_pubsub_subscription.dead_letter.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Mint the OIDC tokens for pushes signed by this pipe's service account.
resource "google_service_account_iam_member" "token_creator" {
  count = var.grant_token_creator ? 1 : 0

  service_account_id = var.push_service_account.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}
