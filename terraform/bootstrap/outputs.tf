output "registry" {
  description = "Image path prefix for the deploy sessions."
  value       = module.registry.url
}

output "state_bucket" {
  description = "Pass to terraform init of each environment: -backend-config=bucket=<this>."
  value       = google_storage_bucket.state.name
}
