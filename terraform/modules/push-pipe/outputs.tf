output "dead_letter_subscription" {
  description = "Name of the dead-letter status subscription."
  value       = google_pubsub_subscription.dead_letter.name
}

output "dead_letter_topic" {
  description = "Name of the dead-letter topic."
  value       = google_pubsub_topic.dead_letter.name
}

output "service_account_email" {
  description = "Email of the push service account; grant it run.invoker on the target service and expect it in push tokens."
  value       = "${google_service_account.push.account_id}@${var.project_id}.iam.gserviceaccount.com"
  # Built from account_id so that it is known at plan; consumers still wait for the account.
  depends_on = [google_service_account.push]
}

output "subscription" {
  description = "Name of the push subscription."
  value       = google_pubsub_subscription.push.name
}

output "topic" {
  description = "Short name of the topic (what publishers put in DROPCAST_*_TOPIC)."
  value       = google_pubsub_topic.topic.name
}

output "topic_id" {
  description = "Full topic id (projects/<project>/topics/<name>)."
  value       = google_pubsub_topic.topic.id
}
