# dropcast on Google Cloud: buckets, two push pipes (uploads -> ingest,
# work -> forecast), their dead-letter status pushes (-> ingest), the parking
# topic for dead letters even ingest could not take, the results topic, the two
# Cloud Run services and the upload notification.
#
# Topic, subscription, dead-letter, retry and timeout settings come from the
# one definition the local stack reads too (pipeline.json, passed in by the
# environment root as var.definition); nothing here repeats them.

locals {
  definition = var.definition
  uploads    = local.definition.pipes.uploads
  work       = local.definition.pipes.work
  parked     = local.definition.parked
  timeouts   = { for name, service in local.definition.services : name => service.request_timeout_seconds }

  prefix          = "dropcast-${var.environment}"
  revision_suffix = "v${var.release_version}"
  audiences = {
    forecast = "${local.prefix}-forecast"
    ingest   = "${local.prefix}-ingest"
  }
  # Names are strings here (not module outputs) so that the services' settings
  # do not depend on the pipes that in turn push to the services.
  topic_names = {
    results = "${local.prefix}-${local.definition.results_topic}"
    work    = "${local.prefix}-${local.work.topic}"
  }

  common_env = {
    DROPCAST_INPUT_BUCKET   = module.buckets.input
    DROPCAST_LOG_FORMAT     = "json"
    DROPCAST_OUTPUT_BUCKET  = module.buckets.output
    DROPCAST_PROJECT        = var.project_id
    DROPCAST_PUSH_AUTH      = "true"
    DROPCAST_RESULTS_TOPIC  = local.topic_names.results
    DROPCAST_STAGING_BUCKET = module.buckets.staging
    DROPCAST_VERSION        = var.release_version
    DROPCAST_WORK_TOPIC     = local.topic_names.work
  }

  # Every subscription that pushes to a service, with its ack deadline: the
  # service's request timeout must be shorter than each of them.
  push_deadlines = concat(
    [for pipe in values(local.definition.pipes) : { service = pipe.service, ack = pipe.ack_deadline_seconds }],
    [for dlq in values(local.definition.dead_letters) : { service = dlq.service, ack = dlq.ack_deadline_seconds }],
  )
}

# Fails the plan, before anything is created, when pipeline.json and the
# wiring below disagree (preconditions of a known input are checked at plan).
resource "terraform_data" "definition_contract" {
  input = local.definition

  lifecycle {
    precondition {
      condition     = local.uploads.service == "ingest" && local.work.service == "forecast"
      error_message = "pipeline.json: the uploads pipe must push to ingest and the work pipe to forecast (the wiring in modules/pipeline)."
    }
    precondition {
      condition     = alltrue([for dlq in values(local.definition.dead_letters) : dlq.service == "ingest"])
      error_message = "pipeline.json: dead-letter status subscriptions must push to ingest."
    }
    precondition {
      condition     = alltrue([for p in local.push_deadlines : local.timeouts[p.service] < p.ack])
      error_message = "pipeline.json: each service's request_timeout_seconds must be below the ack deadline of every subscription that pushes to it."
    }
  }
}

module "buckets" {
  source              = "../buckets"
  project_id          = var.project_id
  location            = var.region
  name_prefix         = "${var.project_id}-${local.prefix}"
  labels              = var.labels
  force_destroy       = var.force_destroy
  staging_expiry_days = var.staging_expiry_days
}

# One parking topic for both pipes: a dead letter whose status push failed
# max_delivery_attempts times waits there, in a pull subscription, for a person.
module "parking" {
  source                     = "../parking"
  project_id                 = var.project_id
  name_prefix                = "${local.prefix}-"
  labels                     = var.labels
  topic                      = local.parked.topic
  subscription               = local.parked.subscription
  message_retention_duration = local.parked.message_retention_duration
}

module "uploads_pipe" {
  source                     = "../push-pipe"
  project_id                 = var.project_id
  name_prefix                = "${local.prefix}-"
  labels                     = var.labels
  service_account_id         = "${local.prefix}-${local.uploads.topic}-push"
  topic                      = local.uploads.topic
  subscription               = local.uploads.subscription
  ack_deadline_seconds       = local.uploads.ack_deadline_seconds
  max_delivery_attempts      = local.uploads.max_delivery_attempts
  minimum_backoff            = local.uploads.minimum_backoff
  maximum_backoff            = local.uploads.maximum_backoff
  message_retention_duration = local.uploads.message_retention_duration
  push = {
    audience = local.audiences.ingest
    endpoint = "${module.ingest.uri}${local.uploads.push_path}"
  }
  dead_letter = {
    topic                 = local.uploads.dead_letter_topic
    subscription          = local.definition.dead_letters[local.uploads.dead_letter_topic].subscription
    ack_deadline_seconds  = local.definition.dead_letters[local.uploads.dead_letter_topic].ack_deadline_seconds
    max_delivery_attempts = local.definition.dead_letters[local.uploads.dead_letter_topic].max_delivery_attempts
    parking_topic_id      = module.parking.topic_id
    audience              = local.audiences.ingest
    push_endpoint         = "${module.ingest.uri}${local.definition.dead_letters[local.uploads.dead_letter_topic].push_path}"
  }
}

module "work_pipe" {
  source                     = "../push-pipe"
  project_id                 = var.project_id
  name_prefix                = "${local.prefix}-"
  labels                     = var.labels
  service_account_id         = "${local.prefix}-${local.work.topic}-push"
  topic                      = local.work.topic
  subscription               = local.work.subscription
  ack_deadline_seconds       = local.work.ack_deadline_seconds
  max_delivery_attempts      = local.work.max_delivery_attempts
  minimum_backoff            = local.work.minimum_backoff
  maximum_backoff            = local.work.maximum_backoff
  message_retention_duration = local.work.message_retention_duration
  push = {
    audience = local.audiences.forecast
    endpoint = "${module.forecast.uri}${local.work.push_path}"
  }
  # Work dead letters are reported by ingest, which trusts only the uploads
  # pipe's push identity.
  dead_letter = {
    topic                 = local.work.dead_letter_topic
    subscription          = local.definition.dead_letters[local.work.dead_letter_topic].subscription
    ack_deadline_seconds  = local.definition.dead_letters[local.work.dead_letter_topic].ack_deadline_seconds
    max_delivery_attempts = local.definition.dead_letters[local.work.dead_letter_topic].max_delivery_attempts
    parking_topic_id      = module.parking.topic_id
    audience              = local.audiences.ingest
    push_endpoint         = "${module.ingest.uri}${local.definition.dead_letters[local.work.dead_letter_topic].push_path}"
    service_account_email = module.uploads_pipe.service_account_email
  }
}

resource "google_pubsub_topic" "results" {
  # checkov:skip=CKV_GCP_83:Google-managed encryption; a CMEK key would cost money at idle and dropcast holds no regulated data.
  project = var.project_id
  name    = local.topic_names.results
  labels  = var.labels
}

module "ingest" {
  source                  = "../cloud-run-service"
  project_id              = var.project_id
  region                  = var.region
  name                    = "${local.prefix}-ingest"
  labels                  = var.labels
  audience                = local.audiences.ingest
  image                   = var.ingest.image
  revision_suffix         = local.revision_suffix
  traffic                 = var.ingest.traffic
  request_timeout_seconds = local.timeouts.ingest
  concurrency             = var.ingest.concurrency
  cpu                     = var.ingest.cpu
  memory                  = var.ingest.memory
  min_instances           = var.ingest.min_instances
  max_instances           = var.ingest.max_instances
  deletion_protection     = var.deletion_protection
  invoker_members         = { uploads_push = "serviceAccount:${module.uploads_pipe.service_account_email}" }
  env = merge(local.common_env, {
    DROPCAST_PUSH_AUDIENCE        = local.audiences.ingest
    DROPCAST_PUSH_SERVICE_ACCOUNT = module.uploads_pipe.service_account_email
  })
}

module "forecast" {
  source                  = "../cloud-run-service"
  project_id              = var.project_id
  region                  = var.region
  name                    = "${local.prefix}-forecast"
  labels                  = var.labels
  audience                = local.audiences.forecast
  image                   = var.forecast.image
  revision_suffix         = local.revision_suffix
  traffic                 = var.forecast.traffic
  request_timeout_seconds = local.timeouts.forecast
  concurrency             = var.forecast.concurrency
  cpu                     = var.forecast.cpu
  memory                  = var.forecast.memory
  min_instances           = var.forecast.min_instances
  max_instances           = var.forecast.max_instances
  deletion_protection     = var.deletion_protection
  invoker_members         = { work_push = "serviceAccount:${module.work_pipe.service_account_email}" }
  env = merge(local.common_env, {
    DROPCAST_PUSH_AUDIENCE        = local.audiences.forecast
    DROPCAST_PUSH_SERVICE_ACCOUNT = module.work_pipe.service_account_email
  })
}

module "uploads_notification" {
  source     = "../storage-notification"
  project_id = var.project_id
  bucket     = module.buckets.input
  topic_id   = module.uploads_pipe.topic_id
}
