# Uploads announce themselves: every finalized object in the bucket publishes
# a JSON_API_V1 notification to the topic.
resource "google_storage_notification" "notification" {
  bucket             = var.bucket
  topic              = var.topic_id
  payload_format     = "JSON_API_V1"
  event_types        = ["OBJECT_FINALIZE"]
  object_name_prefix = var.object_name_prefix

  # The notification is verified at creation: the agent must already publish.
  depends_on = [google_pubsub_topic_iam_member.storage_agent_publisher]
}
