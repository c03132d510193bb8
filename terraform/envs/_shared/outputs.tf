output "buckets" {
  description = "Bucket names by role; upload CSVs to the input bucket."
  value       = module.pipeline.buckets
}

output "parked_subscription" {
  description = "Pull subscription holding dead letters nothing could report; see docs/deploy.md, Parked messages."
  value       = module.pipeline.parked_subscription
}

output "push_service_accounts" {
  description = "Push identities by pipe."
  value       = module.pipeline.push_service_accounts
}

output "services" {
  description = "Cloud Run services: name, URL, newest revision and traffic targets."
  value       = module.pipeline.services
}

output "topics" {
  description = "Topic names by role; subscribe to results to hear about finished jobs."
  value       = module.pipeline.topics
}
