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
    work    = "${local.prefix}-${local.definition.pipes[local.pipe_for.forecast].topic}"
  }

  # The pipe that pushes to each service (one each, checked below), and each
  # service's URL by the name pipeline.json routes pipes and dead letters to.
  # Every push pipe: the definition's pipes and, where it has one, the
  # watchdog's (a timer ingest answers; it pushes to ingest as uploads does).
  all_pipes = merge(local.definition.pipes, try({ watchdog = local.definition.watchdog }, {}))
  # Whose identity signs each pipe's pushes: its own, or, for a pipe that is no
  # entry of pipes (the watchdog), that of the pipe feeding the same service,
  # since each service trusts exactly one push identity.
  signer = {
    for name, spec in local.all_pipes :
    name => contains(keys(local.definition.pipes), name) ? name : local.pipe_for[spec.service]
  }
  pipes_by_service = { for pipe, spec in local.definition.pipes : spec.service => pipe... }
  pipe_for         = { for service, pipes in local.pipes_by_service : service => pipes[0] }
  service_uris     = { forecast = module.forecast.uri, ingest = module.ingest.uri }
  # Push identities by pipe, built from account_id so that plans name them.
  push_emails = {
    for pipe, account in google_service_account.push :
    pipe => "${account.account_id}@${var.project_id}.iam.gserviceaccount.com"
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
    [for pipe in values(local.all_pipes) : { service = pipe.service, ack = pipe.ack_deadline_seconds }],
    [for dlq in values(local.definition.dead_letters) : { service = dlq.service, ack = dlq.ack_deadline_seconds }],
  )
}

# Fails the plan, before anything is created, when pipeline.json and the
# wiring below disagree (preconditions of a known input are checked at plan).
resource "terraform_data" "definition_contract" {
  input = local.definition

  lifecycle {
    precondition {
      condition     = alltrue([for s in ["ingest", "forecast"] : length(lookup(local.pipes_by_service, s, [])) == 1]) && length(local.definition.pipes) == 2
      error_message = "pipeline.json: exactly one pipe must push to ingest and one to forecast (the wiring in modules/pipeline)."
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

# One push identity per pipe, owned here rather than by each pipe: the work
# pipe's dead-letter status pushes go to ingest, which trusts exactly one
# identity, the uploads pipe's; one pipe instance cannot refer to another.
resource "google_service_account" "push" {
  for_each = local.definition.pipes

  project      = var.project_id
  account_id   = "${local.prefix}-${each.value.topic}-push"
  display_name = "dropcast push identity for ${local.prefix}-${each.value.topic}"
  description  = "Signs the OIDC tokens Pub/Sub attaches to pushes from ${local.prefix}-${each.value.subscription}; the only identity allowed to invoke ${local.prefix}-${each.value.service}."
}

# Every push pipe, one per entry of all_pipes (pipeline.json's pipes and watchdog).
module "pipe" {
  source   = "../push-pipe"
  for_each = local.all_pipes

  project_id           = var.project_id
  name_prefix          = "${local.prefix}-"
  labels               = var.labels
  push_service_account = { email = local.push_emails[local.signer[each.key]], name = google_service_account.push[local.signer[each.key]].name }
  # An identity shared with another pipe already has its token-creator grant.
  grant_token_creator        = local.signer[each.key] == each.key
  topic                      = each.value.topic
  subscription               = each.value.subscription
  ack_deadline_seconds       = each.value.ack_deadline_seconds
  max_delivery_attempts      = each.value.max_delivery_attempts
  minimum_backoff            = each.value.minimum_backoff
  maximum_backoff            = each.value.maximum_backoff
  message_retention_duration = each.value.message_retention_duration
  push = {
    audience = local.audiences[each.value.service]
    endpoint = "${local.service_uris[each.value.service]}${each.value.push_path}"
  }
  # Dead letters are reported by ingest (checked above), which trusts only the
  # identity of the pipe that pushes to it: that identity signs them.
  dead_letter = {
    topic                 = each.value.dead_letter_topic
    subscription          = local.definition.dead_letters[each.value.dead_letter_topic].subscription
    ack_deadline_seconds  = local.definition.dead_letters[each.value.dead_letter_topic].ack_deadline_seconds
    max_delivery_attempts = local.definition.dead_letters[each.value.dead_letter_topic].max_delivery_attempts
    parking_topic_id      = module.parking.topic_id
    audience              = local.audiences[local.definition.dead_letters[each.value.dead_letter_topic].service]
    push_endpoint         = "${local.service_uris[local.definition.dead_letters[each.value.dead_letter_topic].service]}${local.definition.dead_letters[each.value.dead_letter_topic].push_path}"
    service_account_email = local.push_emails[local.pipe_for.ingest]
  }
}

# The two pipes were two module calls before; nothing is lost on the move.
moved {
  from = module.uploads_pipe
  to   = module.pipe["uploads"]
}

moved {
  from = module.work_pipe
  to   = module.pipe["work"]
}

# The identities were inside each pipe; they are here now.
moved {
  from = module.pipe["uploads"].google_service_account.push
  to   = google_service_account.push["uploads"]
}

moved {
  from = module.pipe["work"].google_service_account.push
  to   = google_service_account.push["work"]
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
  invoker_members         = { (local.pipe_for.ingest) = "serviceAccount:${local.push_emails[local.pipe_for.ingest]}" }
  env = merge(local.common_env, {
    DROPCAST_PUSH_AUDIENCE        = local.audiences.ingest
    DROPCAST_PUSH_SERVICE_ACCOUNT = local.push_emails[local.pipe_for.ingest]
    }, try({ DROPCAST_CHECKS_TOPIC = "${local.prefix}-${local.definition.watchdog.topic}" }, {})
  )
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
  invoker_members         = { (local.pipe_for.forecast) = "serviceAccount:${local.push_emails[local.pipe_for.forecast]}" }
  env = merge(local.common_env, {
    DROPCAST_PUSH_AUDIENCE        = local.audiences.forecast
    DROPCAST_PUSH_SERVICE_ACCOUNT = local.push_emails[local.pipe_for.forecast]
  })
}

module "uploads_notification" {
  source     = "../storage-notification"
  project_id = var.project_id
  bucket     = module.buckets.input
  topic_id   = module.pipe[local.pipe_for.ingest].topic_id
}
