output "notification_id" {
  description = "Id of the storage notification."
  value       = google_storage_notification.notification.notification_id
}

output "storage_agent" {
  description = "Email of the Cloud Storage service agent that publishes the notifications."
  value       = data.google_storage_project_service_account.agent.email_address
}
