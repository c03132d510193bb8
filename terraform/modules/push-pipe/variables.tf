variable "ack_deadline_seconds" {
  description = "Seconds the push endpoint has to answer before Pub/Sub redelivers; the service's request timeout must be shorter."
  type        = number

  validation {
    condition     = var.ack_deadline_seconds >= 10 && var.ack_deadline_seconds <= 600
    error_message = "ack_deadline_seconds must be between 10 and 600."
  }
}

variable "dead_letter" {
  description = "Dead-letter topic and its status push subscription. After max_delivery_attempts the status subscription parks a message on parking_topic_id (full topic id; the Pub/Sub service agent must already be its publisher). service_account_email signs the status pushes; null means this pipe's own push service account."
  type = object({
    ack_deadline_seconds  = number
    audience              = string
    max_delivery_attempts = number
    parking_topic_id      = string
    push_endpoint         = string
    service_account_email = optional(string)
    subscription          = string
    topic                 = string
  })

  validation {
    condition     = var.dead_letter.max_delivery_attempts >= 5 && var.dead_letter.max_delivery_attempts <= 100
    error_message = "Pub/Sub accepts dead_letter.max_delivery_attempts between 5 and 100."
  }
}

variable "grant_token_creator" {
  description = "Grant the Pub/Sub service agent token creation on push_service_account here; false when another pipe sharing that identity already does (two member resources of one binding would remove it for both on destroy)."
  type        = bool
  default     = true
}

variable "labels" {
  description = "Labels applied to topics and subscriptions."
  type        = map(string)
  default     = {}
}

variable "max_delivery_attempts" {
  description = "Deliveries before a message is forwarded to the dead-letter topic."
  type        = number

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "Pub/Sub accepts max_delivery_attempts between 5 and 100."
  }
}

variable "maximum_backoff" {
  description = "Longest wait between redeliveries, as a duration (for example \"60s\")."
  type        = string
}

variable "message_retention_duration" {
  description = "How long an unacknowledged message is kept, as a duration (for example \"604800s\")."
  type        = string
}

variable "minimum_backoff" {
  description = "Shortest wait between redeliveries, as a duration (for example \"1s\")."
  type        = string
}

variable "name_prefix" {
  description = "Prefix for topic and subscription names, so that several environments can share a project (for example \"dropcast-dev-\")."
  type        = string
}

variable "project_id" {
  description = "Project that owns the topics, subscriptions and the push service account."
  type        = string
}

variable "push" {
  description = "Where the push subscription delivers: the full endpoint URL and the OIDC audience the receiver checks."
  type = object({
    audience = string
    endpoint = string
  })

  validation {
    condition     = startswith(var.push.endpoint, "https://")
    error_message = "Push endpoints must be https:// URLs."
  }
}

variable "push_service_account" {
  description = "The identity that signs this pipe's push tokens (created by the caller, which may share it with another pipe's status pushes): its email and resource name (projects/<project>/serviceAccounts/<email>)."
  type = object({
    email = string
    name  = string
  })
}

variable "subscription" {
  description = "Name of the push subscription, without the prefix."
  type        = string
}

variable "topic" {
  description = "Name of the topic, without the prefix."
  type        = string
}
