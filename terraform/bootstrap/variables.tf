variable "build_writer_members" {
  description = "Principals that push images, if your project's default Cloud Build service account cannot (for example serviceAccount:<number>-compute@developer.gserviceaccount.com)."
  type        = list(string)
  default     = []
}

variable "labels" {
  description = "Labels applied to the state bucket and the repository."
  type        = map(string)
  default     = { app = "dropcast" }
}

variable "project_id" {
  description = "Project to bootstrap."
  type        = string
}

variable "region" {
  description = "Region of the state bucket and the image repository; use the same region for the environments."
  type        = string
  default     = "europe-west1"
}

variable "registry_reader_members" {
  description = "Principals that pull images from another project, such as a separate prod project's Cloud Run service agent (serviceAccount:service-<number>@serverless-robot-prod.iam.gserviceaccount.com)."
  type        = list(string)
  default     = []
}

variable "state_bucket" {
  description = "Name of the Terraform state bucket; null means <project_id>-dropcast-tfstate, which the deploy sessions expect."
  type        = string
  default     = null
}
