output "input" {
  description = "Name of the input bucket (uploads trigger the pipeline)."
  value       = google_storage_bucket.bucket["input"].name
}

output "names" {
  description = "Bucket names by role (input, output, staging)."
  value       = { for role, bucket in google_storage_bucket.bucket : role => bucket.name }
}

output "output" {
  description = "Name of the output bucket (forecasts, charts, reports, error reports)."
  value       = google_storage_bucket.bucket["output"].name
}

output "staging" {
  description = "Name of the staging bucket (shards, parts, job state)."
  value       = google_storage_bucket.bucket["staging"].name
}
