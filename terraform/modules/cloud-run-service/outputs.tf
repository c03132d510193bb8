output "id" {
  description = "Full service id."
  value       = google_cloud_run_v2_service.service.id
}

output "name" {
  description = "Service name."
  value       = google_cloud_run_v2_service.service.name
}

output "revision" {
  description = "Name of the revision this template creates."
  value       = local.revision
}

output "service_account_email" {
  description = "Runtime service account; grant it bucket- and topic-level roles."
  value       = google_service_account.run.email
}

output "traffic" {
  description = "Traffic targets as applied (revision, percent, tag)."
  value       = local.traffic
}

output "uri" {
  description = "Default https URL of the service (push endpoints are built on it)."
  value       = google_cloud_run_v2_service.service.uri
}
