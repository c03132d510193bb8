variable "deletion_protection" {
  description = "Protect the Cloud Run services from terraform destroy."
  type        = bool
  default     = true
}

variable "environment" {
  description = "dev or prod: names every resource, the state prefix's environment and the release file read (set in each root's terraform.tfvars)."
  type        = string

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod (set in terraform/envs/<env>/terraform.tfvars)."
  }
}

variable "force_destroy" {
  description = "Let terraform destroy delete non-empty buckets."
  type        = bool
  default     = false
}

variable "forecast_image" {
  description = "forecast image by digest; null takes it from releases/<environment>.json."
  type        = string
  default     = null
}

variable "forecast_sizing" {
  description = "forecast concurrency, cpu, memory and instance bounds (unset fields keep the pipeline module's defaults)."
  type = object({
    concurrency   = optional(number)
    cpu           = optional(string)
    max_instances = optional(number)
    memory        = optional(string)
    min_instances = optional(number)
  })
  default = {}
}

variable "forecast_traffic" {
  description = "forecast traffic targets (revision, percent, tag); null takes them from releases/<environment>.json."
  type = list(object({
    percent  = number
    revision = string
    tag      = string
  }))
  default = null
}

variable "ingest_image" {
  description = "ingest image by digest; null takes it from releases/<environment>.json."
  type        = string
  default     = null
}

variable "ingest_sizing" {
  description = "ingest concurrency, cpu, memory and instance bounds (unset fields keep the pipeline module's defaults)."
  type = object({
    concurrency   = optional(number)
    cpu           = optional(string)
    max_instances = optional(number)
    memory        = optional(string)
    min_instances = optional(number)
  })
  default = {}
}

variable "ingest_traffic" {
  description = "ingest traffic targets (revision, percent, tag); null takes them from releases/<environment>.json."
  type = list(object({
    percent  = number
    revision = string
    tag      = string
  }))
  default = null
}

variable "labels" {
  description = "Labels applied to every resource that takes labels."
  type        = map(string)
  default     = {}
}

variable "project_id" {
  description = "Project that hosts the environment (pass -var=project_id=... or set TF_VAR_project_id)."
  type        = string
}

variable "region" {
  description = "Region of the services and buckets; must match the Artifact Registry repository's."
  type        = string
}

variable "release_version" {
  description = "Version being deployed (git short SHA); null takes it from releases/<environment>.json."
  type        = string
  default     = null
}

variable "staging_expiry_days" {
  description = "Days after which staging objects are deleted."
  type        = number
  default     = 7
}
