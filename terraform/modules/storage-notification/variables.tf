variable "bucket" {
  description = "Name of the bucket whose finalized objects are announced."
  type        = string
}

variable "object_name_prefix" {
  description = "Announce only objects whose name starts with this prefix; null announces every object."
  type        = string
  default     = null
}

variable "project_id" {
  description = "Project of the bucket and the topic."
  type        = string
}

variable "topic_id" {
  description = "Full id of the topic that receives the notifications (projects/<project>/topics/<name>)."
  type        = string

  validation {
    condition     = can(regex("^projects/[^/]+/topics/[^/]+$", var.topic_id))
    error_message = "topic_id must be a full topic id: projects/<project>/topics/<name>."
  }
}
