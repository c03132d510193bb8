output "buckets" {
  description = "Bucket names by role (input, output, staging)."
  value       = module.buckets.names
}

output "parked_subscription" {
  description = "Pull subscription holding dead letters that ingest could not record as failed jobs; inspect with gcloud pubsub subscriptions pull."
  value       = module.parking.subscription
}

output "push_service_accounts" {
  description = "Push identities by pipe; each is the only invoker of its service."
  value       = local.push_emails
}

output "services" {
  description = "Per service: name, URL, revision this release created and traffic targets."
  value = {
    for name, service in { ingest = module.ingest, forecast = module.forecast } : name => {
      name                        = service.name
      revision                    = service.revision
      traffic                     = service.traffic
      uri                         = service.uri
    }
  }
}

output "topics" {
  description = "Topic names by role."
  value = {
    parked      = module.parking.topic
    results     = google_pubsub_topic.results.name
    uploads     = module.pipe[local.pipe_for.ingest].topic
    uploads_dlq = module.pipe[local.pipe_for.ingest].dead_letter_topic
    work        = module.pipe[local.pipe_for.forecast].topic
    work_dlq    = module.pipe[local.pipe_for.forecast].dead_letter_topic
  }
}
