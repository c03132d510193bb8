# The Pub/Sub service agent forwards dead letters to the parking topic; it
# gets publisher on this one topic (the subscriber right on each status
# subscription is granted by the push-pipe that owns it).

data "google_project" "project" {
  project_id = var.project_id
}

resource "google_pubsub_topic_iam_member" "agent_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.parked.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:service-${data.google_project.project.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}
