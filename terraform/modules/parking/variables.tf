variable "labels" {
  description = "Labels applied to the topic and the subscription."
  type        = map(string)
  default     = {}
}

variable "message_retention_duration" {
  description = "How long a parked message is held, acknowledged or not, as a duration (at most \"604800s\", 7 days)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+s$", var.message_retention_duration)) && try(tonumber(trimsuffix(var.message_retention_duration, "s")) >= 600 && tonumber(trimsuffix(var.message_retention_duration, "s")) <= 604800, false)
    error_message = "message_retention_duration must be whole seconds between \"600s\" and \"604800s\" (Pub/Sub's limits for a subscription)."
  }
}

variable "name_prefix" {
  description = "Prefix for the topic and subscription names (for example \"dropcast-dev-\")."
  type        = string
}

variable "project_id" {
  description = "Project that owns the topic and the subscription."
  type        = string
}

variable "subscription" {
  description = "Name of the pull subscription that holds parked messages, without the prefix."
  type        = string
}

variable "topic" {
  description = "Name of the parking topic, without the prefix."
  type        = string
}
