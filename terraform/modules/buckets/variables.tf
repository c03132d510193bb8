variable "force_destroy" {
  description = "Let `terraform destroy` delete buckets that still hold objects. Keep false wherever user data matters."
  type        = bool
  default     = false
}

variable "labels" {
  description = "Labels applied to every bucket."
  type        = map(string)
  default     = {}
}

variable "location" {
  description = "Bucket location: a region close to the Cloud Run services (for example europe-west1)."
  type        = string
}

variable "name_prefix" {
  description = "Globally unique prefix; buckets are named <prefix>-input, <prefix>-staging and <prefix>-output."
  type        = string
}

variable "noncurrent_version_expiry_days" {
  description = "Days a replaced or deleted version of an input or output object is kept before it is purged."
  type        = number
  default     = 30
}

variable "project_id" {
  description = "Project that owns the buckets."
  type        = string
}

variable "staging_expiry_days" {
  description = "Days after which staging objects (shards, parts, job state) are deleted."
  type        = number
  default     = 7

  validation {
    condition     = var.staging_expiry_days >= 1
    error_message = "staging_expiry_days must be at least 1 day: running jobs keep their shards in staging."
  }
}
