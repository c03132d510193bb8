# Cloud Storage publishes notifications as its project service agent; it gets
# publisher on this one topic, nothing project-wide.
data "google_storage_project_service_account" "agent" {
  project = var.project_id
}

resource "google_pubsub_topic_iam_member" "storage_agent_publisher" {
  project = var.project_id
  topic   = var.topic_id
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${data.google_storage_project_service_account.agent.email_address}"
}
