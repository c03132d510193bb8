# Least privilege between the parts: each runtime identity gets a role on a
# bucket or a topic, never on the project. See README.md for the reasoning.

locals {
  ingest   = "serviceAccount:${module.ingest.service_account_email}"
  forecast = "serviceAccount:${module.forecast.service_account_email}"

  bucket_grants = {
    # ingest reads the upload it was notified about.
    ingest_reads_input = { bucket = module.buckets.input, role = "roles/storage.objectViewer", member = local.ingest }
    # Shards, parts and job state: create-only writes plus compare-and-swap
    # updates of job state, which overwrite and so need objects.delete.
    ingest_uses_staging   = { bucket = module.buckets.staging, role = "roles/storage.objectUser", member = local.ingest }
    forecast_uses_staging = { bucket = module.buckets.staging, role = "roles/storage.objectUser", member = local.forecast }
    # Outputs live at fixed names: publish_output reads the existing object's
    # metadata, replaces an older job's output (an overwrite needs
    # objects.delete) and remove_stale_output deletes a superseded error
    # report. objectUser is the least predefined role with get, create and
    # delete (dropcast_common.iam derives this from the calls).
    ingest_writes_output   = { bucket = module.buckets.output, role = "roles/storage.objectUser", member = local.ingest }
    forecast_writes_output = { bucket = module.buckets.output, role = "roles/storage.objectUser", member = local.forecast }
  }
}

resource "google_storage_bucket_iam_member" "grant" {
  for_each = local.bucket_grants

  bucket = each.value.bucket
  role   = each.value.role
  member = each.value.member
}

locals {
  topic_grants = merge(
    {
      # ingest publishes one work message per shard (and re-drives them).
      ingest_publishes_work = { topic = module.pipe[local.pipe_for.forecast].topic, member = local.ingest }
      # Failing a job (a rejected file, a dead letter, a time-out) announces it.
      ingest_publishes_results = { topic = google_pubsub_topic.results.name, member = local.ingest }
      # forecast announces finished (and failed) jobs.
      forecast_publishes_results = { topic = google_pubsub_topic.results.name, member = local.forecast }
    },
    # The watchdog's timer: each accepted job publishes one check.
    contains(keys(local.all_pipes), "watchdog") ? {
      ingest_publishes_checks = { topic = module.pipe["watchdog"].topic, member = local.ingest }
    } : {},
  )
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = local.topic_grants

  project = var.project_id
  topic   = each.value.topic
  role    = "roles/pubsub.publisher"
  member  = each.value.member
}

moved {
  from = google_pubsub_topic_iam_member.ingest_publishes_work
  to   = google_pubsub_topic_iam_member.publisher["ingest_publishes_work"]
}

moved {
  from = google_pubsub_topic_iam_member.forecast_publishes_results
  to   = google_pubsub_topic_iam_member.publisher["forecast_publishes_results"]
}
