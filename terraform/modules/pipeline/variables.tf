variable "definition" {
  description = "The pipeline definition, libs/common/src/dropcast_common/pipeline.json decoded (jsondecode(file(...)) in the environment root): topics, subscriptions, dead letters, parking, results topic and request timeouts."
  type        = any
}

variable "deletion_protection" {
  description = "Protect the Cloud Run services from `terraform destroy` (turn off before destroying an environment)."
  type        = bool
  default     = true
}

variable "environment" {
  description = "Environment name (dev, prod); part of every resource name so that environments can share a project."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,7}$", var.environment))
    error_message = "environment must be 2-8 lowercase letters or digits, starting with a letter (it is part of names limited to 30 characters)."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete buckets that still hold objects."
  type        = bool
  default     = false
}

variable "forecast" {
  description = "The forecast service: image by digest, traffic targets (empty: all to the new revision) and sizing. CPU-bound: one request per instance, all its CPUs."
  type = object({
    image         = string
    traffic       = optional(list(object({ percent = number, revision = string, tag = string })), [])
    concurrency   = optional(number, 1)
    cpu           = optional(string, "2")
    memory        = optional(string, "4Gi")
    min_instances = optional(number, 0)
    max_instances = optional(number, 10)
  })
}

variable "ingest" {
  description = "The ingest service: image by digest, traffic targets (empty: all to the new revision) and sizing. I/O-bound: several requests per instance."
  type = object({
    image         = string
    traffic       = optional(list(object({ percent = number, revision = string, tag = string })), [])
    concurrency   = optional(number, 4)
    cpu           = optional(string, "1")
    memory        = optional(string, "2Gi")
    min_instances = optional(number, 0)
    max_instances = optional(number, 5)
  })
}

variable "labels" {
  description = "Labels applied to every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "project_id" {
  description = "Project that hosts the environment."
  type        = string
}

variable "region" {
  description = "Region of the services and buckets."
  type        = string
}

variable "release_version" {
  description = "Version being deployed (the git short SHA the images are tagged with); revisions are named <service>-v<release_version>."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{7,12}$", var.release_version))
    error_message = "release_version must be a git short SHA (7-12 hex characters); if releases/<env>.json is still empty, deploy with nox -s deploy-dev first."
  }
}

variable "staging_expiry_days" {
  description = "Days after which staging objects are deleted."
  type        = number
  default     = 7
}
