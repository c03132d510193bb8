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
  description = "Runtime service account; grant it bucket- and topic-level roles. Built from account_id, so it is known at plan (as in fabric's iam-service-account); depends_on keeps grants after the account's creation."
  value       = "${google_service_account.run.account_id}@${var.project_id}.iam.gserviceaccount.com"
  depends_on  = [google_service_account.run]
}

output "traffic" {
  description = "Traffic targets as applied (revision, percent, tag)."
  value       = local.traffic
}

output "uri" {
  description = "Default https URL of the service (push endpoints are built on it)."
  value       = google_cloud_run_v2_service.service.uri
}
