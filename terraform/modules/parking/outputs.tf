output "subscription" {
  description = "Name of the pull subscription holding parked messages (gcloud pubsub subscriptions pull <this>)."
  value       = google_pubsub_subscription.hold.name
}

output "topic" {
  description = "Short name of the parking topic."
  value       = google_pubsub_topic.parked.name
}

output "topic_id" {
  description = "Full topic id, for dead-letter policies; available only once the Pub/Sub service agent may publish to it."
  value       = google_pubsub_topic.parked.id
  # A dead-letter policy naming this topic before the grant exists would park
  # nothing: Pub/Sub checks the agent's right when it forwards.
  depends_on = [google_pubsub_topic_iam_member.agent_publisher]
}
