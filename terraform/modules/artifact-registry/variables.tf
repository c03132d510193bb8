variable "keep_recent_versions" {
  description = "Number of most recent image versions the cleanup policy never deletes."
  type        = number
  default     = 30
}

variable "labels" {
  description = "Labels applied to the repository."
  type        = map(string)
  default     = {}
}

variable "location" {
  description = "Repository region; images are pulled from <location>-docker.pkg.dev."
  type        = string
}

variable "project_id" {
  description = "Project that owns the repository."
  type        = string
}

variable "reader_members" {
  description = "Principals that may pull (for example a prod project's Cloud Run service agent when prod lives in another project)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.reader_members : !contains(["allUsers", "allAuthenticatedUsers"], m)])
    error_message = "Images are never public."
  }
}

variable "repository_id" {
  description = "Repository name (images are <location>-docker.pkg.dev/<project>/<repository_id>/<image>)."
  type        = string
  default     = "dropcast"
}

variable "retention_days" {
  description = "Age after which images beyond the most recent versions are deleted."
  type        = number
  default     = 90
}

variable "writer_members" {
  description = "Principals that may push, such as a dedicated Cloud Build service account."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for m in var.writer_members : !contains(["allUsers", "allAuthenticatedUsers"], m)])
    error_message = "Only named principals may push images."
  }
}
