variable "audience" {
  description = "Custom OIDC audience the service accepts (and the push subscription puts in its tokens); a plain string avoids a dependency on the service URL."
  type        = string
}

variable "concurrency" {
  description = "Requests one instance handles at a time (1 for CPU-bound work)."
  type        = number

  validation {
    condition     = var.concurrency >= 1 && var.concurrency <= 1000
    error_message = "concurrency must be between 1 and 1000."
  }
}

variable "cpu" {
  description = "vCPUs per instance, as Cloud Run writes them (\"1\", \"2\", \"4\")."
  type        = string
}

variable "deletion_protection" {
  description = "Refuse `terraform destroy` of the service while true."
  type        = bool
  default     = true
}

variable "env" {
  description = "Plain environment variables of the container (no secrets)."
  type        = map(string)
  default     = {}
}

variable "image" {
  description = "Container image by digest: <registry>/<repo>/<name>@sha256:<64 hex>. Tags, and `latest` above all, are refused."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(/[a-z0-9._-]+)+@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be pinned by digest (<registry>/<path>@sha256:<64 hex>); tags such as :latest are never deployed. Run nox -s deploy-dev to build and deploy one."
  }

  validation {
    # An empty release file gives null: leave that to the digest rule above
    # rather than failing inside strcontains.
    condition     = var.image == null || !strcontains(coalesce(var.image, "-"), ":latest")
    error_message = "The latest tag is never deployed."
  }
}

variable "ingress" {
  description = "Who may reach the service over the network; internal lets Pub/Sub push from the same project in and keeps the internet out."
  type        = string
  default     = "INGRESS_TRAFFIC_INTERNAL_ONLY"

  validation {
    condition     = contains(["INGRESS_TRAFFIC_INTERNAL_ONLY", "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"], var.ingress)
    error_message = "ingress must be internal (INGRESS_TRAFFIC_INTERNAL_ONLY or INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER)."
  }
}

variable "invoker_members" {
  description = "Principals granted roles/run.invoker, by a name fixed in the configuration (the key, known at plan) to the member (serviceAccount:<email>, may be known only after apply): the push service accounts, nobody else."
  type        = map(string)

  validation {
    condition     = alltrue([for m in values(var.invoker_members) : startswith(m, "serviceAccount:")])
    error_message = "Only service accounts may invoke dropcast services (no allUsers, allAuthenticatedUsers, users or groups)."
  }
}

variable "labels" {
  description = "Labels applied to the service and its revisions (revisions also get version=<revision_suffix>)."
  type        = map(string)
  default     = {}
}

variable "max_instances" {
  description = "Upper bound of instances; also bounds the cost of a burst."
  type        = number
}

variable "memory" {
  description = "Memory per instance (\"512Mi\", \"2Gi\")."
  type        = string
}

variable "min_instances" {
  description = "Instances kept warm; 0 scales to zero and costs nothing at idle."
  type        = number
  default     = 0
}

variable "name" {
  description = "Service name; also the runtime service account's account_id."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.name))
    error_message = "name must be 6-30 characters: lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "project_id" {
  description = "Project that owns the service and its service account."
  type        = string
}

variable "region" {
  description = "Cloud Run region."
  type        = string
}

variable "request_timeout_seconds" {
  description = "Request timeout; must stay below the ack deadline of every subscription that pushes to this service."
  type        = number

  validation {
    condition     = var.request_timeout_seconds >= 1 && var.request_timeout_seconds < 600
    error_message = "request_timeout_seconds must be below 600, the longest Pub/Sub ack deadline."
  }
}

variable "revision_suffix" {
  description = "Version the revision this template creates is named and tagged after (revision <name>-<suffix>, tag <suffix>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,30}$", var.revision_suffix))
    error_message = "revision_suffix must start with a lowercase letter and hold only lowercase letters, digits and hyphens (it is also a traffic tag)."
  }
}

variable "startup_probe_path" {
  description = "HTTP path that answers 200 once the app can serve."
  type        = string
  default     = "/healthz"
}

variable "traffic" {
  description = "Traffic targets by revision name, with tags; empty sends everything to the revision this template creates. Older revisions referenced here keep serving their share."
  type = list(object({
    percent  = number
    revision = string
    tag      = string
  }))
  default = []

  validation {
    condition     = length(var.traffic) == 0 || sum(concat([0], [for t in var.traffic : t.percent])) == 100
    error_message = "Traffic percentages must add up to 100."
  }

  validation {
    condition     = length(var.traffic) == length(distinct([for t in var.traffic : t.tag]))
    error_message = "Traffic tags must be unique."
  }
}
