output "dead_letter_subscription" {
  description = "Name of the dead-letter status subscription."
  value       = google_pubsub_subscription.dead_letter.name
}

output "dead_letter_topic" {
  description = "Name of the dead-letter topic."
  value       = google_pubsub_topic.dead_letter.name
}

output "service_account_email" {
  description = "Email of the push service account (the caller's push_service_account): it signs this pipe's pushes."
  value       = var.push_service_account.email
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
