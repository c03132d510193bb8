output "id" {
  description = "Full repository id."
  value       = google_artifact_registry_repository.repository.id
}

output "url" {
  description = "Image path prefix: <location>-docker.pkg.dev/<project>/<repository_id>."
  value       = "${google_artifact_registry_repository.repository.location}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.repository.repository_id}"
}
